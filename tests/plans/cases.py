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
METERS = "meters:\n  - {key: api_calls, event_name: api_request, display_name: API, formula: sum}\n"

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
        "plans/basic.yaml:8:5: prices[0].interval: unknown key 'interval' (expected one of active, amount, currency, currency_options, custom_unit_amount, default, features, legacy, limits, lookup_key, metadata, nickname, recurring, tax_behavior, tiers, tiers_mode, transform_quantity, trial_days)",
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
        "interval_count_over_three_years",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    recurring: {interval: month, interval_count: 37}\n",
        "plans/basic.yaml:8:50: prices[0].recurring.interval_count: Stripe bills at least once every three years: at most 36 for interval month",
    ),
    one(
        "interval_count_over_three_years_in_weeks",
        P
        + "prices:\n  - lookup_key: a\n    amount: 100\n    currency: usd\n    recurring: {interval: week, interval_count: 157}\n",
        "plans/basic.yaml:8:49: prices[0].recurring.interval_count: Stripe bills at least once every three years: at most 156 for interval week",
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
    # The price and product fields declared in reconciler/kinds: each limit Stripe documents.
    one(
        "currency_option_uppercase",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    currency_options:\n      EUR: {amount: 900}\n",
        "plans/basic.yaml:10:12: prices[0].currency_options.EUR: currency 'EUR' must be a three-letter lowercase ISO 4217 code",
    ),
    one(
        "currency_option_unknown",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    currency_options:\n      xyz: {amount: 900}\n",
        "plans/basic.yaml:10:12: prices[0].currency_options.xyz: unknown currency 'xyz' (not an ISO 4217 code)",
    ),
    one(
        "currency_option_own_currency",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    currency_options:\n      usd: {amount: 900}\n",
        "plans/basic.yaml:10:12: prices[0].currency_options.usd: usd is the price's own currency: set it with amount or tiers",
    ),
    one(
        "currency_option_without_amount",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    currency_options:\n      eur: {tax_behavior: exclusive}\n",
        "plans/basic.yaml:10:12: prices[0].currency_options.eur: a currency option needs amount (or custom_unit_amount)",
    ),
    one(
        "currency_option_amount_on_tiered",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    currency: usd\n    recurring: {interval: month}\n    tiers_mode: graduated\n    tiers:\n      - {up_to: 10, unit_amount: 5}\n      - {up_to: inf, unit_amount: 4}\n    currency_options:\n      eur: {amount: 900}\n",
        "plans/basic.yaml:13:21: prices[0].currency_options.eur.amount: a tiered price takes tiers, not amount, in each currency",
    ),
    one(
        "currency_option_tiers_on_per_unit",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    currency_options:\n      eur:\n        tiers: [{up_to: inf, unit_amount: 4}]\n",
        "plans/basic.yaml:11:16: prices[0].currency_options.eur.tiers: tiers in a currency option need a tiered price",
    ),
    one(
        "currency_option_amount_too_big",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    currency_options:\n      eur: {amount: 100000000}\n",
        "plans/basic.yaml:10:21: prices[0].currency_options.eur.amount: amount 100000000 exceeds Stripe's maximum of 99999999 minor units",
    ),
    one(
        "currency_option_bad_tax_behavior",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    currency_options:\n      eur: {amount: 900, tax_behavior: included}\n",
        "plans/basic.yaml:10:40: prices[0].currency_options.eur.tax_behavior: must be one of inclusive, exclusive, unspecified (got 'included')",
    ),
    one(
        "currency_option_tier_order",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    currency: usd\n    recurring: {interval: month}\n    tiers_mode: graduated\n    tiers:\n      - {up_to: 10, unit_amount: 5}\n      - {up_to: inf, unit_amount: 4}\n    currency_options:\n      eur:\n        tiers: [{up_to: 10, unit_amount: 4}, {up_to: 5, unit_amount: 3}]\n",
        "plans/basic.yaml:14:54: prices[0].currency_options.eur.tiers[1].up_to: the last tier must have up_to: inf",
    ),
    one(
        "custom_with_amount",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    custom_unit_amount: {minimum: 500}\n",
        "plans/basic.yaml:9:25: prices[0].custom_unit_amount: custom_unit_amount replaces amount and tiers: give one",
    ),
    one(
        "custom_preset_above_maximum",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    currency: usd\n    custom_unit_amount: {minimum: 500, maximum: 1000, preset: 2000}\n",
        "plans/basic.yaml:7:63: prices[0].custom_unit_amount.preset: preset must be at most maximum (1000)",
    ),
    one(
        "custom_minimum_above_maximum",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    currency: usd\n    custom_unit_amount: {minimum: 5000, maximum: 1000}\n",
        "plans/basic.yaml:7:50: prices[0].custom_unit_amount.maximum: maximum must be at least minimum (5000)",
    ),
    one(
        "custom_disabled",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    currency: usd\n    custom_unit_amount: {enabled: false}\n",
        "plans/basic.yaml:7:35: prices[0].custom_unit_amount.enabled: must be true (leave custom_unit_amount out instead)",
    ),
    one(
        "custom_negative",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    currency: usd\n    custom_unit_amount: {minimum: -1}\n",
        "plans/basic.yaml:7:35: prices[0].custom_unit_amount.minimum: must be at least 0 (got -1)",
    ),
    one(
        "transform_without_round",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    transform_quantity: {divide_by: 1000}\n",
        "plans/basic.yaml:9:25: prices[0].transform_quantity: missing required key 'round'",
    ),
    one(
        "transform_bad_round",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    transform_quantity: {divide_by: 1000, round: nearest}\n",
        "plans/basic.yaml:9:50: prices[0].transform_quantity.round: must be one of up, down (got 'nearest')",
    ),
    one(
        "transform_divide_by_zero",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    transform_quantity: {divide_by: 0, round: up}\n",
        "plans/basic.yaml:9:37: prices[0].transform_quantity.divide_by: must be at least 1 (got 0)",
    ),
    one(
        "transform_with_tiers",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    currency: usd\n    recurring: {interval: month}\n    tiers_mode: graduated\n    tiers:\n      - {up_to: 10, unit_amount: 5}\n      - {up_to: inf, unit_amount: 4}\n    transform_quantity: {divide_by: 10, round: up}\n",
        "plans/basic.yaml:12:25: prices[0].transform_quantity: transform_quantity cannot be combined with tiers",
    ),
    one(
        "metered_without_meter",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month, usage_type: metered}\n",
        "plans/basic.yaml:8:16: prices[0].recurring: a metered price needs the meter that counts its usage",
    ),
    one(
        "meter_on_licensed",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month, meter: api_calls}\n",
        "plans/basic.yaml:8:41: prices[0].recurring.meter: meter is only for usage_type: metered",
    ),
    one(
        "bad_usage_type",
        "product:\n  key: basic\n  name: Basic\nprices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month, usage_type: counted}\n",
        "plans/basic.yaml:8:46: prices[0].recurring.usage_type: must be one of licensed, metered (got 'counted')",
    ),
    one(
        "descriptor_too_long",
        "product:\n  key: basic\n  name: Basic\n  statement_descriptor: THE VERY LONG COMPANY NAME\n",
        "plans/basic.yaml:4:25: product.statement_descriptor: statement_descriptor is 26 characters; Stripe allows at most 22",
    ),
    one(
        "descriptor_bad_characters",
        'product:\n  key: basic\n  name: Basic\n  statement_descriptor: "A<B>"\n',
        "plans/basic.yaml:4:25: product.statement_descriptor: statement_descriptor may not contain < >",
    ),
    one(
        "descriptor_without_letter",
        'product:\n  key: basic\n  name: Basic\n  statement_descriptor: "12345"\n',
        "plans/basic.yaml:4:25: product.statement_descriptor: statement_descriptor must contain at least one letter",
    ),
    one(
        "too_many_images",
        "product:\n  key: basic\n  name: Basic\n  images:\n    - https://example.com/0.png\n    - https://example.com/1.png\n    - https://example.com/2.png\n    - https://example.com/3.png\n    - https://example.com/4.png\n    - https://example.com/5.png\n    - https://example.com/6.png\n    - https://example.com/7.png\n    - https://example.com/8.png\n",
        "plans/basic.yaml:5:5: product.images: 9 images; Stripe allows at most 8",
    ),
    one(
        "image_not_url",
        "product:\n  key: basic\n  name: Basic\n  images: [logo.png]\n",
        "plans/basic.yaml:4:12: product.images[0]: must be an http:// or https:// URL",
    ),
    one(
        "too_many_marketing_features",
        "product:\n  key: basic\n  name: Basic\n  marketing_features:\n    - name: F0\n    - name: F1\n    - name: F2\n    - name: F3\n    - name: F4\n    - name: F5\n    - name: F6\n    - name: F7\n    - name: F8\n    - name: F9\n    - name: F10\n    - name: F11\n    - name: F12\n    - name: F13\n    - name: F14\n    - name: F15\n",
        "plans/basic.yaml:5:5: product.marketing_features: 16 marketing features; Stripe allows at most 15",
    ),
    one(
        "marketing_feature_name_too_long",
        "product:\n  key: basic\n  name: Basic\n  marketing_features:\n    - name: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        "plans/basic.yaml:5:13: product.marketing_features[0].name: a marketing feature name is 81 characters; Stripe allows at most 80",
    ),
    one(
        "marketing_feature_without_name",
        "product:\n  key: basic\n  name: Basic\n  marketing_features:\n    - title: Fast\n",
        "plans/basic.yaml:5:7: product.marketing_features[0]: missing required key 'name'",
        "plans/basic.yaml:5:7: product.marketing_features[0].title: unknown key 'title' (expected one of name)",
    ),
    one(
        "bad_tax_code",
        "product:\n  key: basic\n  name: Basic\n  tax_code: software\n",
        "plans/basic.yaml:4:13: product.tax_code: must be a Stripe tax code such as txcd_10103001",
    ),
    one(
        "bad_url",
        "product:\n  key: basic\n  name: Basic\n  url: example.com\n",
        "plans/basic.yaml:4:8: product.url: must be an http:// or https:// URL",
    ),
    one(
        "empty_unit_label",
        'product:\n  key: basic\n  name: Basic\n  unit_label: ""\n',
        "plans/basic.yaml:4:15: product.unit_label: must not be empty",
    ),
    Case(
        "limit_meter_undeclared",
        {
            "basic.yaml": P + "limits:\n  api-calls: {value: 100, meter: api_requests}\n" + PRICE,
            "billing.yaml": METERS,
        },
        [
            "plans/basic.yaml:5:34: limits.api-calls.meter: no meter has the event name 'api_requests' (declare it under meters:)"
        ],
    ),
    Case(
        "limit_meter_names_a_key",
        {
            "basic.yaml": P
            + "prices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    limits:\n      calls: {per_unit: 10, meter: api_calls}\n",
            "billing.yaml": METERS,
        },
        [
            "plans/basic.yaml:10:36: prices[0].limits.calls.meter: 'api_calls' is a meter's key; a limit names its meter by event name ('api_request')"
        ],
    ),
    one(
        "limit_meter_without_objects_file",
        P + "limits:\n  tokens: {value: 5, reset: month, meter: tokens}\n" + PRICE,
        "plans/basic.yaml:5:43: limits.tokens.meter: no meter has the event name 'tokens' (declare it under meters:)",
    ),
    # Negative amounts, refused as Stripe refuses them (api/prices/create, api/coupons/create).
    one(
        "negative_tier_unit_amount",
        P
        + "prices:\n  - lookup_key: a\n    currency: usd\n    tiers_mode: volume\n    tiers:\n      - {up_to: inf, unit_amount: -1}\n",
        'plans/basic.yaml:9:35: prices[0].tiers[0].unit_amount: must be a non-negative integer or a decimal string such as "12.5" (minor units)',
    ),
    one(
        "negative_tier_flat_amount",
        P
        + 'prices:\n  - lookup_key: a\n    currency: usd\n    tiers_mode: volume\n    tiers:\n      - {up_to: inf, flat_amount: "-2.5"}\n',
        'plans/basic.yaml:9:35: prices[0].tiers[0].flat_amount: must be a non-negative integer or a decimal string such as "12.5" (minor units)',
    ),
    one(
        "negative_currency_option_amount",
        P
        + "prices:\n  - lookup_key: a\n    amount: 1000\n    currency: usd\n    recurring: {interval: month}\n    currency_options:\n      eur: {amount: -900}\n",
        'plans/basic.yaml:10:21: prices[0].currency_options.eur.amount: must be a non-negative integer or a decimal string such as "12.5" (minor units)',
    ),
    Case(
        "negative_coupon_amount_off",
        {
            "basic.yaml": P + PRICE,
            "billing.yaml": "coupons:\n  - key: off\n    amount_off: -500\n    currency: usd\n",
        },
        ["plans/billing.yaml:3:17: coupons[0].amount_off: must be at least 1 (got -500)"],
    ),
    one(
        "shippable_text",
        'product:\n  key: basic\n  name: Basic\n  shippable: "yes"\n',
        "plans/basic.yaml:4:14: product.shippable: must be true or false, not a text",
    ),
]
