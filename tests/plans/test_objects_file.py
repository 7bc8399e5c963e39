"""The objects file: meters, coupons and promotion codes declared in plan files, validated with
located messages, built into account-level objects, its schema generated from the kinds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from reconciler.model import AccountObject
from reconciler.plans import load_plans
from reconciler.plans.objects import objects_schema, objects_schema_text

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "plans"


def _folder(tmp_path: Path, text: str) -> Path:
    folder = shutil.copytree(EXAMPLE, tmp_path / "plans")
    (folder / "billing.yaml").write_text(text)
    return folder


def _messages(folder: Path) -> list[str]:
    prefix = f"{folder}/"
    return [d.format().removeprefix(prefix) for d in load_plans(folder).diagnostics]


def test_checked_in_schemas_are_the_generated_one() -> None:
    # Regenerate with scripts/generate-schema.
    for place in ("reconciler/schemas", "schemas"):
        assert (ROOT / place / "objects.schema.json").read_text() == objects_schema_text()
    assert json.loads(objects_schema_text()) == objects_schema()


def test_the_example_objects_load(tmp_path: Path) -> None:
    result = load_plans(EXAMPLE)
    assert result.plans is not None, [d.format() for d in result.diagnostics]
    meters = result.plans.catalog.objects_of("meter")
    assert [(m.key, m.alias) for m in meters] == [("api_request", "api_calls")]
    assert meters[0].terms == {
        "event_name": "api_request",
        "display_name": "API requests",
        "formula": "sum",
        "customer_payload_key": "stripe_customer_id",
        "value_payload_key": "value",
        "event_time_window": None,
    }
    (coupon,) = result.plans.catalog.objects_of("coupon")
    assert coupon == AccountObject(
        "coupon",
        "launch",
        {
            "name": "Launch: 20% off for 3 months",
            "percent_off": 20,
            "amount_off": None,
            "currency": None,
            "duration": "repeating",
            "duration_in_months": 3,
            "max_redemptions": 500,
            "redeem_by": None,
            "applies_to": ["pro", "standard"],
        },
    )


def test_limits_stripe_documents_are_located(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        "meters:\n"
        "  - key: calls\n"
        f"    event_name: {'e' * 101}\n"
        "    display_name: Calls\n"
        "    formula: max\n"
        "coupons:\n"
        "  - key: half\n"
        "    percent_off: 150\n"
        "    amount_off: 100\n"
        "    duration: repeating\n"
        "  - key: tenner\n"
        "    amount_off: 1000\n"
        "    duration_in_months: 2\n"
        "promotion_codes:\n"
        "  - code: NOT VALID\n"
        "    coupon: nowhere\n"
        "    restrictions: {minimum_amount: 100}\n",
    )
    assert _messages(folder) == [
        "billing.yaml:3:17: meters[0].event_name: must be at most 100 characters long",
        "billing.yaml:5:14: meters[0].formula: must be one of count, last, sum (got 'max')",
        "billing.yaml:7:5: coupons[0]: a coupon takes exactly one of percent_off and amount_off",
        "billing.yaml:8:18: coupons[0].percent_off: must be at most 100 (got 150)",
        "billing.yaml:9:17: coupons[0].amount_off: amount_off needs a currency",
        "billing.yaml:10:15: coupons[0].duration: a repeating coupon needs duration_in_months",
        "billing.yaml:12:17: coupons[1].amount_off: amount_off needs a currency",
        "billing.yaml:13:25: coupons[1].duration_in_months: "
        "duration_in_months is only for duration: repeating",
        "billing.yaml:15:11: promotion_codes[0].code: must be letters, digits and dashes (-)",
        "billing.yaml:16:13: promotion_codes[0].coupon: no coupon has the key 'nowhere'",
        "billing.yaml:17:19: promotion_codes[0].restrictions: "
        "minimum_amount and minimum_amount_currency go together",
    ]


def test_duplicates_across_files_and_unknown_products(tmp_path: Path) -> None:
    folder = _folder(tmp_path, (EXAMPLE / "billing.yaml").read_text())
    (folder / "more.yaml").write_text(
        "meters:\n"
        "  - {key: calls, event_name: api_request, display_name: Calls}\n"
        "coupons:\n"
        "  - {key: launch, percent_off: 5, applies_to: [pro, gold]}\n"
        "promotion_codes:\n"
        "  - {code: launch20, coupon: launch}\n"
    )
    first = f"{folder}/billing.yaml"
    assert _messages(folder) == [
        "more.yaml:2:30: meters[0].event_name: duplicate meter event name 'api_request' "
        f"(first at {first}:6)",
        f"more.yaml:4:11: coupons[0].key: duplicate coupon key 'launch' (first at {first}:11)",
        "more.yaml:4:53: coupons[0].applies_to[1]: no product has the key 'gold'",
        "more.yaml:6:12: promotion_codes[0].code: duplicate promotion code 'launch20' "
        f"(first at {first}:20)",
    ]
