"""Bad plan folders and the exact diagnostics each must produce.

Each case is a folder given as {file name: text}; `expected` is every line `validate` prints.
"""

from __future__ import annotations

from dataclasses import dataclass

VALID = """\
product:
  key: basic
  name: Basic
prices:
  - lookup_key: basic_monthly
    amount: 1000
    currency: usd
    recurring: {interval: month}
"""


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str]
    expected: list[str]


def one(name: str, text: str, *expected: str) -> Case:
    return Case(name, {"basic.yaml": text}, list(expected))


P = "product:\n  key: basic\n  name: Basic\n"
PRICE = "prices:\n  - lookup_key: basic_monthly\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n"

CASES: list[Case] = [
    one(
        "missing_name",
        "product:\n  key: basic\n" + PRICE,
        "plans/basic.yaml:2:3: product: missing required key 'name'",
    ),
    one(
        "missing_product",
        "" + PRICE,
        "plans/basic.yaml:1:1: missing required key 'product'",
    ),
    one(
        "unknown_top_key",
        P + "plans: []\n" + PRICE,
        "plans/basic.yaml:4:1: plans: unknown key 'plans' (expected one of features, limits, prices, product)",
    ),
    one(
        "unknown_price_key",
        P
        + "prices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    interval: month\n",
        "plans/basic.yaml:8:5: prices[0].interval: unknown key 'interval' (expected one of active, amount, currency, default, features, limits, lookup_key, metadata, nickname, recurring, tax_behavior, tiers, tiers_mode, trial_days)",
    ),
    one(
        "bad_key_pattern",
        "product:\n  key: Basic Plan\n  name: Basic\n" + PRICE,
        "plans/basic.yaml:2:8: product.key: must be lowercase letters, digits, '-' or '_', starting with a letter or digit",
    ),
    one(
        "name_not_string",
        "product:\n  key: basic\n  name: [Basic]\n" + PRICE,
        "plans/basic.yaml:3:9: product.name: must be a text, not a list",
    ),
    one(
        "negative_amount",
        P + "prices:\n  - lookup_key: a\n    amount: -5\n    currency: usd\n",
        'plans/basic.yaml:6:13: prices[0].amount: must be a non-negative integer or a decimal string such as "12.5" (minor units)',
    ),
    one(
        "amount_float",
        P + "prices:\n  - lookup_key: a\n    amount: 10.5\n    currency: usd\n",
        'plans/basic.yaml:6:13: prices[0].amount: must be a non-negative integer or a decimal string such as "12.5" (minor units)',
    ),
    one(
        "amount_too_big",
        P + "prices:\n  - lookup_key: a\n    amount: 100000000\n    currency: usd\n",
        "plans/basic.yaml:6:13: prices[0].amount: amount 100000000 exceeds Stripe's maximum of 99999999 minor units",
    ),
    one(
        "amount_too_precise",
        P + 'prices:\n  - lookup_key: a\n    amount: "1.0000000000001"\n    currency: usd\n',
        "plans/basic.yaml:6:13: prices[0].amount: amount 1.0000000000001 has more than 12 decimal places",
    ),
    one(
        "unknown_currency",
        P + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: xyz\n",
        "plans/basic.yaml:7:15: prices[0].currency: unknown currency 'xyz' (not an ISO 4217 code)",
    ),
    one(
        "uppercase_currency",
        P + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: USD\n",
        "plans/basic.yaml:7:15: prices[0].currency: must be a three-letter lowercase ISO 4217 code such as usd",
    ),
    one(
        "bad_interval",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    recurring: {interval: monthly}\n",
        "plans/basic.yaml:8:27: prices[0].recurring.interval: must be one of day, week, month, year (got 'monthly')",
    ),
    one(
        "interval_count_zero",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    recurring: {interval: month, interval_count: 0}\n",
        "plans/basic.yaml:8:50: prices[0].recurring.interval_count: must be at least 1 (got 0)",
    ),
    one(
        "interval_count_over_a_year",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    recurring: {interval: month, interval_count: 13}\n",
        "plans/basic.yaml:8:50: prices[0].recurring.interval_count: Stripe bills at least once a year: at most 12 for interval month",
    ),
    one(
        "trial_without_recurring",
        P + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    trial_days: 7\n",
        "plans/basic.yaml:8:17: prices[0].trial_days: trial_days needs a recurring price",
    ),
    one(
        "trial_too_long",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    recurring: {interval: month}\n    trial_days: 731\n",
        "plans/basic.yaml:9:17: prices[0].trial_days: must be at most 730 (got 731)",
    ),
    one(
        "bad_tax_behavior",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    tax_behavior: included\n",
        "plans/basic.yaml:8:19: prices[0].tax_behavior: must be one of inclusive, exclusive, unspecified (got 'included')",
    ),
    one(
        "no_amount",
        P + "prices:\n  - lookup_key: a\n    currency: usd\n",
        "plans/basic.yaml:5:5: prices[0]: a price needs amount (or tiers for a tiered price)",
    ),
    one(
        "amount_and_tiers",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    tiers_mode: volume\n    tiers:\n      - {up_to: inf, unit_amount: 100}\n",
        "plans/basic.yaml:5:5: prices[0]: a price takes either amount or tiers, not both",
    ),
    one(
        "tiers_without_mode",
        P
        + "prices:\n  - lookup_key: a\n    currency: usd\n    tiers:\n      - {up_to: inf, unit_amount: 100}\n",
        "plans/basic.yaml:8:7: prices[0].tiers: tiered prices need tiers_mode (graduated or volume)",
    ),
    one(
        "last_tier_not_inf",
        P
        + "prices:\n  - lookup_key: a\n    currency: usd\n    tiers_mode: graduated\n    tiers:\n      - {up_to: 10, unit_amount: 100}\n      - {up_to: 20, unit_amount: 90}\n",
        "plans/basic.yaml:10:17: prices[0].tiers[1].up_to: the last tier must have up_to: inf",
    ),
    one(
        "tiers_not_ascending",
        P
        + "prices:\n  - lookup_key: a\n    currency: usd\n    tiers_mode: graduated\n    tiers:\n      - {up_to: 10, unit_amount: 100}\n      - {up_to: 5, unit_amount: 90}\n      - {up_to: inf, unit_amount: 80}\n",
        "plans/basic.yaml:10:17: prices[0].tiers[1].up_to: up_to must be greater than the previous tier's (10)",
    ),
    one(
        "tier_without_amount",
        P
        + "prices:\n  - lookup_key: a\n    currency: usd\n    tiers_mode: volume\n    tiers:\n      - {up_to: inf}\n",
        "plans/basic.yaml:9:9: prices[0].tiers[0]: a tier needs unit_amount, flat_amount or both",
    ),
    one(
        "negative_limit",
        P + "limits:\n  seats: -1\n" + PRICE,
        "plans/basic.yaml:5:10: limits.seats: must be a non-negative integer, 'unlimited', or an object with exactly one of per_unit or value, and optional reset and meter",
    ),
    one(
        "limit_word",
        P + "limits:\n  seats: lots\n" + PRICE,
        "plans/basic.yaml:5:10: limits.seats: must be a non-negative integer, 'unlimited', or an object with exactly one of per_unit or value, and optional reset and meter",
    ),
    one(
        "limit_with_value_and_per_unit",
        P + "limits:\n  seats: {value: 1, per_unit: 2}\n" + PRICE,
        "plans/basic.yaml:5:10: limits.seats: must be a non-negative integer, 'unlimited', or an object with exactly one of per_unit or value, and optional reset and meter",
    ),
    one(
        "limit_with_unknown_reset",
        P + "limits:\n  credits: {value: 100, reset: hourly}\n" + PRICE,
        "plans/basic.yaml:5:12: limits.credits: must be a non-negative integer, 'unlimited', or an object with exactly one of per_unit or value, and optional reset and meter",
    ),
    one(
        "limit_with_unknown_part",
        P + "limits:\n  credits: {per_unit: 10, every: month}\n" + PRICE,
        "plans/basic.yaml:5:12: limits.credits: must be a non-negative integer, 'unlimited', or an object with exactly one of per_unit or value, and optional reset and meter",
    ),
    one(
        "limit_name_too_long",
        P + "limits:\n  " + "x" * 34 + ": 5\n" + PRICE,
        f"plans/basic.yaml:5:3: limits.{'x' * 34}: metadata key 'limits:{'x' * 34}' is 41 characters; Stripe allows at most 40",
    ),
    one(
        "bracket_in_feature_name",
        P + "features:\n  seats[team]: true\n" + PRICE,
        "plans/basic.yaml:5:3: features['seats[team]']: metadata key 'features:seats[team]' contains '[' or ']', which Stripe does not allow",
    ),
    one(
        "feature_list",
        P + "features:\n  Colors: [red, blue]\n" + PRICE,
        "plans/basic.yaml:5:11: features.Colors: must be a boolean, a number or a text",
    ),
    one(
        "feature_text_reads_as_number",
        P + 'features:\n  Credits: "100"\n' + PRICE,
        "plans/basic.yaml:5:12: features.Credits: text '100' would read back from Stripe as a boolean or number; write it unquoted",
    ),
    one(
        "feature_value_too_long",
        P + "features:\n  Blurb: " + "y" * 501 + "\n" + PRICE,
        "plans/basic.yaml:5:10: features.Blurb: feature value is 501 characters; Stripe allows at most 500",
    ),
    one(
        "metadata_value_not_text",
        P + "  metadata:\n    tier: 2\n" + PRICE,
        "plans/basic.yaml:5:11: product.metadata.tier: must be a text, not an integer",
    ),
    one(
        "reserved_metadata_key",
        P + "  metadata:\n    managed-by: me\n" + PRICE,
        "plans/basic.yaml:5:5: product.metadata.managed-by: metadata key 'managed-by' is reserved for the reconciler",
    ),
    one(
        "lookup_key_too_long",
        P + "prices:\n  - lookup_key: " + "k" * 201 + "\n    amount: 100\n    currency: usd\n",
        "plans/basic.yaml:5:17: prices[0].lookup_key: lookup_key is 201 characters; Stripe allows at most 200",
    ),
    one(
        "two_defaults",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    default: true\n  - lookup_key: b\n    amount: 200\n    currency: usd\n    default: true\n",
        "plans/basic.yaml:12:14: prices[1].default: only one price of a product can be its default",
    ),
    one(
        "inactive_default",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    default: true\n    active: false\n",
        "plans/basic.yaml:9:13: prices[0].active: the default price cannot be inactive",
    ),
    one(
        "duplicate_yaml_key",
        P + "  name: Other\n" + PRICE,
        "plans/basic.yaml:4:3: product.name: duplicate key 'name' (first at line 3)",
    ),
    one(
        "duplicate_lookup_key_in_file",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n  - lookup_key: a\n    amount: 200\n    currency: usd\n",
        "plans/basic.yaml:8:17: prices[1].lookup_key: duplicate lookup key 'a' (first declared at plans/basic.yaml:5)",
    ),
    one(
        "malformed_yaml",
        "product:\n  key: basic\n  name: [Basic\n",
        "plans/basic.yaml:4:1: invalid YAML: did not find expected ',' or ']'",
    ),
    one(
        "tab_indentation",
        "product:\n\tkey: basic\n",
        "plans/basic.yaml:2:1: invalid YAML: found character '\\t' that cannot start any token",
    ),
    one(
        "empty_file",
        "",
        "plans/basic.yaml:1:1: the file is empty",
    ),
    one(
        "comments_only",
        "# nothing here yet\n",
        "plans/basic.yaml:1:1: the file is empty",
    ),
    one(
        "top_level_list",
        "- product: basic\n",
        "plans/basic.yaml:1:1: the file must hold a mapping, not a list",
    ),
    one(
        "two_documents",
        P
        + "prices:\n  - lookup_key: basic_monthly\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n---\nproduct:\n  key: basic\n  name: Basic\n",
        "plans/basic.yaml:9:1: invalid YAML: more than one YAML document in the file; write one per file",
    ),
    one(
        "too_many_metadata_keys",
        P
        + "limits:\n"
        + "".join(f"  l{i}: {i}\n" for i in range(30))
        + "features:\n"
        + "".join(f"  f{i}: true\n" for i in range(20))
        + PRICE,
        "plans/basic.yaml:57:5: prices[0]: this price would carry 51 metadata keys; Stripe allows at most 50",
    ),
]
