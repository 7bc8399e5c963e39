"""Pure tests of the identity rules: which source decides each kind's key, how keys are made
unique, and that no Stripe-chosen id changes a key (test mode and live mode agree)."""

from __future__ import annotations

from typing import Any

from reconciler.kinds import COUPON, PORTAL_CONFIGURATION, PRICE, PRODUCT
from reconciler.kinds.coupon import chosen_id
from reconciler.kinds.identity import Candidate, Identified, Source, slug
from reconciler.model import Config
from reconciler.stripe_catalog import LiveCatalog, LiveObject, normalize_price, normalize_product
from reconciler.stripe_catalog.identities import identities

CONFIG = Config()


def product(pid: str, name: str, created: int, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "name": name, "created": created, "active": True, "metadata": {}, **extra}


def price(pid: str, product_id: str, created: int, **extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": pid,
        "product": product_id,
        "created": created,
        "currency": "usd",
        "unit_amount": 4900,
        "unit_amount_decimal": "4900",
        "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
        "active": True,
        "metadata": {},
        "lookup_key": None,
    }
    raw.update(extra)
    return raw


def account(suffix: str) -> LiveCatalog:
    """One hand-made account; `suffix` stands for the ids Stripe chose (test vs live mode)."""
    products = [
        normalize_product(product(f"prod_a{suffix}", "Pro Plan", 100)),
        normalize_product(product(f"prod_b{suffix}", "Pro Plan", 200)),
        normalize_product(product(f"prod_c{suffix}", "Basic", 50, metadata={"plan-key": "pro"})),
    ]
    prices = [
        normalize_price(price(f"price_1{suffix}", f"prod_a{suffix}", 100), CONFIG),
        normalize_price(
            price(f"price_2{suffix}", f"prod_a{suffix}", 90, active=False), CONFIG
        ),  # an older, archived twin
        normalize_price(
            price(
                f"price_3{suffix}",
                f"prod_a{suffix}",
                110,
                recurring={"interval": "month", "interval_count": 3, "usage_type": "licensed"},
                unit_amount=None,
                unit_amount_decimal=None,
                tiers_mode="graduated",
                tiers=[{"up_to": None, "unit_amount": 5, "unit_amount_decimal": "5"}],
            ),
            CONFIG,
        ),
        normalize_price(
            price(f"price_4{suffix}", f"prod_b{suffix}", 200, lookup_key="pro-monthly-usd-4900"),
            CONFIG,
        ),
        normalize_price(
            price(
                f"price_5{suffix}",
                f"prod_b{suffix}",
                210,
                recurring=None,
                unit_amount=None,
                unit_amount_decimal=None,
                custom_unit_amount={"enabled": True, "minimum": None, "maximum": None},
            ),
            CONFIG,
        ),
    ]
    objects = [
        LiveObject("coupon", "BLACKFRIDAY", "BLACKFRIDAY", {"name": None}, False, True, 10, {}),
        LiveObject("coupon", f"Z4OV52S{suffix}", "x", {"name": "Spring Sale"}, False, True, 20, {}),
        LiveObject(
            "coupon",
            f"Q8WX2MP{suffix}",
            "x",
            {"name": None, "percent_off": 20, "duration": "repeating", "duration_in_months": 3},
            False,
            True,
            30,
            {},
        ),
        LiveObject("promotion_code", f"promo_1{suffix}", "x", {"code": "SAVE20"}, False, True, 5),
        LiveObject("feature", f"feat_1{suffix}", "x", {"lookup_key": "sso"}, False, True, 0, {}),
        LiveObject("meter", f"mtr_1{suffix}", "x", {"event_name": "api_calls"}, True, True, 1),
        LiveObject(
            "product_feature",
            f"pf_1{suffix}",
            "x",
            {"product": "x", "entitlement_feature": "sso"},
            False,
            True,
            0,
            owner_id=f"prod_a{suffix}",
        ),
        LiveObject(
            "portal_configuration", f"bpc_1{suffix}", "x", {}, False, True, 1, {}, is_default=True
        ),
        LiveObject(
            "portal_configuration",
            f"bpc_2{suffix}",
            "x",
            {"headline": "Team plans"},
            False,
            True,
            2,
        ),
    ]
    return LiveCatalog(products=tuple(products), prices=tuple(prices), objects=tuple(objects))


def by_kind(suffix: str) -> dict[str, dict[str, Identified]]:
    found = identities(account(suffix))
    kinds = ("product", "price", "coupon", "promotion_code", "feature", "meter")
    more = ("product_feature", "portal_configuration")
    return {
        kind: {sid.removesuffix(suffix): ident for sid, ident in found.of_kind(kind).items()}
        for kind in (*kinds, *more)
    }


def test_every_kind_gets_its_key_from_the_first_source_that_has_one() -> None:
    assert by_kind("T") == {
        "product": {
            # the plan key comes first; two products named alike: the older keeps the slug
            "prod_c": Identified("pro", Source.PLAN_KEY),
            "prod_a": Identified("pro-plan", Source.DERIVED),
            "prod_b": Identified("pro-plan-2", Source.DERIVED),
        },
        "price": {
            # a lookup key comes first, so the derived twin of the active price gets -2
            "price_4": Identified("pro-monthly-usd-4900", Source.LOOKUP_KEY),
            "price_1": Identified("pro-plan-monthly-usd-4900", Source.DERIVED),
            "price_3": Identified("pro-plan-every-3-months-usd-graduated", Source.DERIVED),
            # archived prices come after active ones, whatever their age
            "price_2": Identified("pro-plan-monthly-usd-4900-2", Source.DERIVED),
            "price_5": Identified("pro-plan-2-one-time-usd-custom", Source.DERIVED),
        },
        "coupon": {
            "BLACKFRIDAY": Identified("BLACKFRIDAY", Source.OWN_ID),
            "Z4OV52S": Identified("spring-sale", Source.DERIVED),
            "Q8WX2MP": Identified("20-percent-off-repeating-3", Source.DERIVED),
        },
        "promotion_code": {"promo_1": Identified("SAVE20", Source.OWN_ID)},
        "feature": {"feat_1": Identified("sso", Source.OWN_ID)},
        "meter": {"mtr_1": Identified("api_calls", Source.OWN_ID)},
        "product_feature": {"pf_1": Identified("pro-plan/sso", Source.DERIVED)},
        "portal_configuration": {
            "bpc_1": Identified("default", Source.DERIVED),
            "bpc_2": Identified("team-plans", Source.DERIVED),
        },
    }


def test_the_same_account_in_another_mode_gets_the_same_keys() -> None:
    # Every Stripe-chosen id differs (the coupons' generated ids too): no key changes.
    assert by_kind("T") == by_kind("L")


def test_keys_do_not_depend_on_the_order_stripe_lists_objects() -> None:
    live = account("T")
    flipped = LiveCatalog(
        products=live.products[::-1], prices=live.prices[::-1], objects=live.objects[::-1]
    )
    assert identities(flipped) == identities(live)


def test_lookup_of_an_identity_by_key() -> None:
    found = identities(account("T"))
    assert found.id_of("price", "pro-plan-monthly-usd-4900") == "price_1T"
    assert found.id_of("price", "nothing") is None
    assert found.key("coupon", "BLACKFRIDAY") == "BLACKFRIDAY"
    assert found.get("coupon", "unknown") is None


def test_a_tool_made_portal_configuration_keeps_the_key_default() -> None:
    managed = Candidate("bpc_1", 1, {}, facts={"managed": True})
    dashboard = Candidate("bpc_2", 0, {}, facts={"is_default": True})
    assert PORTAL_CONFIGURATION.identity.resolve([dashboard, managed]) == {
        "bpc_1": Identified("default", Source.PLAN_KEY),
        "bpc_2": Identified("default-2", Source.DERIVED),
    }


def test_a_price_key_names_cadence_currency_usage_and_amount() -> None:
    def key(**terms: Any) -> str:
        return PRICE.identity.decide(Candidate("price_x", 0, terms, parent="api")).key

    metered = {"interval": "month", "interval_count": 1, "usage_type": "metered"}
    assert (
        key(currency="usd", recurring=metered, unit_amount="0.5") == "api-monthly-usd-metered-0.5"
    )
    yearly = {"interval": "year", "interval_count": 1}
    assert key(currency="eur", recurring=yearly, unit_amount="9900") == "api-yearly-eur-9900"
    assert key(currency="usd", unit_amount="100") == "api-one-time-usd-100"
    assert key(lookup_key="mine", currency="usd") == "mine"


def test_equal_candidates_created_in_the_same_second_fall_back_to_the_stripe_id() -> None:
    twins = [Candidate("prod_b", 5, {"name": "Team"}), Candidate("prod_a", 5, {"name": "Team"})]
    assert PRODUCT.identity.resolve(twins) == {
        "prod_a": Identified("team", Source.DERIVED),
        "prod_b": Identified("team-2", Source.DERIVED),
    }


def test_a_coupon_id_counts_as_chosen_unless_it_has_stripes_generated_shape() -> None:
    ids = ("BLACKFRIDAY", "Z4OV52SU", "jMT0WJUD", "abcdEFGH", "SUMMERXX", "summerxx", "a1")
    assert [chosen_id(i) for i in ids] == [True, False, False, False, True, True, True]
    plan_keyed = Candidate("Z4OV52SU", 0, {}, metadata={"plan-key": "launch"}, facts={"id": "x"})
    assert COUPON.identity.decide(plan_keyed) == Identified("launch", Source.PLAN_KEY)


def test_slug_keeps_keys_in_the_plan_key_format() -> None:
    assert slug("  Pro / Team (2024) ", "product") == "pro-team-2024"
    assert slug("!!!", "product") == "product"
    assert slug("x" * 70 + " y", "product") == "x" * 60
