"""Reading a hand-made account for import: every object whatever its metadata, the features
attached to unmanaged products, the Dashboard's default portal configuration, the subscribers
of archived prices, progress for long reads, and legacy prices told apart."""

from __future__ import annotations

import stripe

from reconciler.kinds import COUPON
from reconciler.kinds.price_identity import is_legacy
from reconciler.model import Config
from reconciler.stripe_catalog import create_object, read_live_catalog, subscriber_counts
from reconciler.testing import EmulatorControl
from tests.reconcile.takeover_account import build_takeover_account


def test_import_reads_every_object_of_a_hand_made_account(
    stripe_client: stripe.StripeClient, emulator: EmulatorControl
) -> None:
    account = build_takeover_account(stripe_client, emulator)
    said: list[str] = []
    live = read_live_catalog(
        stripe_client,
        Config(stripe_entitlements=True),
        objects=True,
        every=True,
        progress=said.append,
    )
    assert said == [
        "read 4 products",
        "read 6 prices",
        "read 1 archived prices",
        "read 7 account-level objects",
    ]
    kinds = sorted((o.kind, o.id) for o in live.objects)
    assert kinds == sorted(
        [
            ("meter", account.meter),
            ("coupon", account.coupons["BLACKFRIDAY"]),
            ("coupon", account.coupons["welcome"]),
            ("promotion_code", account.promotion_code),
            ("portal_configuration", account.portal_configuration),
            ("feature", account.feature),
            ("product_feature", next(o.id for o in live.objects_of("product_feature"))),
        ]
    )
    (attached,) = live.objects_of("product_feature")
    assert (attached.owner_id, attached.terms["entitlement_feature"]) == (
        account.products["Pro"],
        "single-sign-on",
    )
    (portal,) = live.objects_of("portal_configuration")
    assert portal.is_default
    assert not any(p.price.legacy for p in live.prices)
    archived = [p.id for p in live.prices if not p.price.active]
    assert archived == [account.prices["pro_2019"]]
    assert subscriber_counts(stripe_client, archived) == {account.prices["pro_2019"]: 1}


def test_without_every_the_attachments_of_products_made_by_hand_are_read_too(
    stripe_client: stripe.StripeClient, emulator: EmulatorControl
) -> None:
    # A diff reads them: adopting Pro must find its hand-made attachment, not plan a second.
    account = build_takeover_account(stripe_client, emulator)
    live = read_live_catalog(stripe_client, Config(stripe_entitlements=True), objects=True)
    pro = account.products["Pro"]
    assert [(o.key, o.owner_id, o.managed) for o in live.objects_of("product_feature")] == [
        (f"{pro}/single-sign-on", pro, False)
    ]


def test_legacy_prices_are_those_of_the_plans_api_and_of_usage_without_a_meter() -> None:
    recurring = {"interval": "month", "usage_type": "licensed"}
    assert not is_legacy({"id": "price_1", "recurring": recurring})
    assert is_legacy({"id": "plan_Gold", "recurring": recurring})
    assert is_legacy({"id": "gold-monthly", "recurring": None})
    metered = {"interval": "month", "usage_type": "metered", "meter": None}
    assert is_legacy({"id": "price_2", "recurring": {**metered, "aggregate_usage": "sum"}})
    assert is_legacy({"id": "price_3", "recurring": metered})
    assert not is_legacy({"id": "price_4", "recurring": {**metered, "meter": "mtr_1"}})


def test_a_coupon_is_created_with_the_id_the_plan_chose(
    stripe_client: stripe.StripeClient,
) -> None:
    terms = COUPON.from_plan({"id": "BLACKFRIDAY", "percent_off": 25})
    made = create_object(
        stripe_client, "coupon", terms, lambda kind, key: key, "k1", own_id="BLACKFRIDAY"
    )
    assert made == "BLACKFRIDAY"
    assert stripe_client.v1.coupons.retrieve("BLACKFRIDAY").percent_off == 25
