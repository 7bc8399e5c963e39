"""What a taken-over account needs the plan files to hold: Entitlements features with their
products, coupons known by their own id, several portal configurations, inactive and read-only
legacy prices; each loads to the model, is validated with located messages, and dumps back to
text that loads to the same model."""

from __future__ import annotations

import shutil
from pathlib import Path

from reconciler.model import AccountObject
from reconciler.plans import load_plans
from reconciler.plans.build import build_product
from reconciler.plans.dump import dump_product
from reconciler.plans.objects import dump_objects

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "plans"

OBJECTS = """\
coupons:
  - id: BLACKFRIDAY
    percent_off: 30
  - key: launch
    percent_off: 20
promotion_codes:
  - code: FRIDAY30
    coupon: BLACKFRIDAY
features:
  - lookup_key: single-sign-on
    name: Single sign-on
    products: [pro, standard]
    metadata: {team: identity}
portal:
  headline: Manage your plan
portals:
  - key: partners
    headline: Partner billing
"""


def _folder(tmp_path: Path, objects: str) -> Path:
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans")
    (folder / "billing.yaml").write_text(objects)
    return folder


def _messages(folder: Path) -> list[str]:
    prefix = f"{folder}/"
    return [d.format().removeprefix(prefix) for d in load_plans(folder).diagnostics]


def test_features_coupon_ids_and_portals_load(tmp_path: Path) -> None:
    result = load_plans(_folder(tmp_path, OBJECTS))
    assert result.plans is not None, [d.format() for d in result.diagnostics]
    catalog = result.plans.catalog
    coupons = catalog.objects_of("coupon")
    assert [(c.key, c.own_id) for c in coupons] == [
        ("BLACKFRIDAY", "BLACKFRIDAY"),
        ("launch", None),
    ]
    (code,) = catalog.objects_of("promotion_code")
    assert code.terms["coupon"] == "BLACKFRIDAY"
    assert catalog.objects_of("feature") == (
        AccountObject(
            "feature",
            "single-sign-on",
            {"lookup_key": "single-sign-on", "name": "Single sign-on"},
            {"team": "identity"},
        ),
    )
    assert [o.terms for o in catalog.objects_of("product_feature")] == [
        {"product": "pro", "entitlement_feature": "single-sign-on"},
        {"product": "standard", "entitlement_feature": "single-sign-on"},
    ]
    portals = catalog.objects_of("portal_configuration")
    assert [(p.key, p.terms["headline"]) for p in portals] == [
        ("default", "Manage your plan"),
        ("partners", "Partner billing"),
    ]


def test_the_objects_file_dumps_to_text_that_loads_the_same(tmp_path: Path) -> None:
    first = load_plans(_folder(tmp_path / "a", OBJECTS)).plans
    assert first is not None
    text = dump_objects(first.catalog.objects)
    assert text.splitlines()[1:6] == [
        "coupons:",
        "- id: BLACKFRIDAY",
        "  percent_off: 30",
        "- key: launch",
        "  percent_off: 20",
    ]
    second = load_plans(_folder(tmp_path / "b", text)).plans
    assert second is not None
    assert second.catalog.objects == first.catalog.objects


def test_declared_features_merge_with_derived_ones(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        "features:\n"
        "  - {lookup_key: Priority Support, name: Priority support, products: [standard]}\n",
    )
    config = folder / "reconciler.yaml"
    config.write_text(config.read_text() + "stripe_entitlements: true\n")
    plans = load_plans(folder).plans
    assert plans is not None
    features = plans.catalog.objects_of("feature")
    assert [(f.key, f.terms["name"]) for f in features] == [
        ("Priority Support", "Priority support")
    ]
    attached = [o.key for o in plans.catalog.objects_of("product_feature")]
    assert attached == ["pro/Priority Support", "standard/Priority Support"]


def test_takeover_sections_are_validated_with_located_messages(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        "coupons:\n"
        "  - percent_off: 10\n"
        "  - {id: 'no spaces', percent_off: 5}\n"
        "promotion_codes:\n"
        "  - {code: X1, coupon: NOWHERE}\n"
        "features:\n"
        "  - {lookup_key: sso, name: SSO, products: [pro, gold]}\n"
        "portals:\n"
        "  - {key: default}\n"
        "  - {headline: No key}\n",
    )
    assert _messages(folder) == [
        "billing.yaml:2:5: coupons[0]: a coupon needs key (its plan key) or id (its own Stripe id)",
        "billing.yaml:3:10: coupons[1].id: must be letters, digits, '-' or '_'",
        "billing.yaml:5:24: promotion_codes[0].coupon: no coupon has the key 'NOWHERE'",
        "billing.yaml:7:50: features[0].products[1]: no product has the key 'gold'",
        "billing.yaml:9:11: portals[0].key: the 'default' configuration is declared under portal:",
        "billing.yaml:10:5: portals[1]: missing required key 'key'",
    ]


PRODUCT = {
    "product": {"key": "pro", "name": "Pro"},
    "prices": [
        {"lookup_key": "pro_monthly", "amount": 4900, "currency": "usd", "default": True},
        {"lookup_key": "pro_2019", "amount": 2900, "currency": "usd", "active": False},
        {"lookup_key": "gold", "amount": 9900, "currency": "usd", "legacy": True},
    ],
}


def test_inactive_and_legacy_prices_load_and_dump_with_a_note(tmp_path: Path) -> None:
    product = build_product(PRODUCT)
    assert [(p.lookup_key, p.active, p.legacy) for p in product.prices] == [
        ("gold", True, True),
        ("pro_2019", False, False),
        ("pro_monthly", True, False),
    ]
    text = dump_product(product, {"pro_2019": "archived; 2 subscriptions still pay this price"})
    assert text.splitlines()[4:15] == [
        "prices:",
        "- lookup_key: gold",
        "  amount: 9900",
        "  currency: usd",
        "  legacy: true",
        "# archived; 2 subscriptions still pay this price",
        "- lookup_key: pro_2019",
        "  amount: 2900",
        "  currency: usd",
        "  active: false",
        "- lookup_key: pro_monthly",
    ]
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "pro.yaml").write_text(text)
    loaded = load_plans(folder)
    assert loaded.plans is not None, [d.format() for d in loaded.diagnostics]
    assert loaded.plans.catalog.products == (product,)
