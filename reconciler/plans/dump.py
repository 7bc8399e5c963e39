"""Write the model back as plan files that `load_plans` reads to the same values.

Used by `reconciler import` and by the load -> dump -> load round-trip property. A price's
limits and features are written as overrides: only where they differ from the product's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from reconciler.kinds import PRICE, PRODUCT
from reconciler.model import Config, FeatureValue, LimitSpec, Price, Product, Urls, plan_limit
from reconciler.plans.yaml12 import PlanDumper

# Written files name their schema relative to themselves: `import` puts the schemas in the
# `schemas/` folder inside the plans folder (`reconciler schema` writes them anywhere).
SCHEMA_FOLDER = "schemas"
PRODUCT_MODELINE = f"# yaml-language-server: $schema={SCHEMA_FOLDER}/product.schema.json\n"
CONFIG_MODELINE = f"# yaml-language-server: $schema={SCHEMA_FOLDER}/config.schema.json\n"


def _limits(limits: dict[str, LimitSpec] | Any) -> dict[str, Any]:
    return {name: plan_limit(value) for name, value in sorted(limits.items())}


def _overrides(mine: Any, shared: Any) -> dict[str, Any]:
    return {k: v for k, v in sorted(mine.items()) if k not in shared or shared[k] != v}


def price_document(price: Price, product: Product) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if price.trial_days is not None:
        extra["trial_days"] = price.trial_days
    if product.default_price == price.lookup_key:
        extra["default"] = True
    if price.legacy:
        extra["legacy"] = True
    limits = _overrides(price.limits, product.limits)
    if limits:
        extra["limits"] = _limits(limits)
    features: dict[str, FeatureValue] = _overrides(price.features, product.features)
    if features:
        extra["features"] = features
    if price.metadata:
        extra["metadata"] = dict(sorted(price.metadata.items()))
    return PRICE.to_plan(price.terms, extra)


def product_document(product: Product) -> dict[str, Any]:
    extra: dict[str, Any] = {"key": product.key}
    if product.metadata:
        extra["metadata"] = dict(sorted(product.metadata.items()))
    if product.proration_behavior != "create_prorations":
        extra["proration_behavior"] = product.proration_behavior
    if product.add_on:
        extra["add_on"] = True
    out: dict[str, Any] = {"product": PRODUCT.to_plan(product.terms, extra)}
    if product.limits:
        out["limits"] = _limits(product.limits)
    if product.features:
        out["features"] = dict(sorted(product.features.items()))
    if product.prices:
        out["prices"] = [price_document(p, product) for p in product.prices]
    return out


def _urls(urls: Urls) -> dict[str, str]:
    pairs = {
        "checkout_success": urls.checkout_success,
        "checkout_cancel": urls.checkout_cancel,
        "portal_return": urls.portal_return,
    }
    return {k: v for k, v in pairs.items() if v is not None}


def config_document(config: Config) -> dict[str, Any]:
    out: dict[str, Any] = {
        "metadata_prefixes": {"limits": config.limits_prefix, "features": config.features_prefix}
    }
    if config.default_limits:
        out["default_limits"] = _limits(config.default_limits)
    if config.default_plan is not None:
        out["default_plan"] = config.default_plan
    if _urls(config.urls):
        out["urls"] = _urls(config.urls)
    environments = {mode: {"urls": _urls(u)} for mode, u in sorted(config.environments.items())}
    if environments:
        out["environments"] = environments
    if config.on_store_unavailable != "fail":
        out["on_store_unavailable"] = config.on_store_unavailable
    if config.stripe_entitlements:
        out["stripe_entitlements"] = True
    return out


def _yaml(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=PlanDumper, sort_keys=False, allow_unicode=True, width=100)


def dump_product(product: Product, notes: Mapping[str, str] | None = None) -> str:
    """A product file's text, with the editor modeline; `notes` (lookup key -> text) are
    written as a comment above each such price (`import` shows a grandfathered price's
    subscribers this way)."""
    text = _yaml(product_document(product))
    if notes:
        text = _with_notes(text, notes)
    return PRODUCT_MODELINE + text


def _with_notes(text: str, notes: Mapping[str, str]) -> str:
    """A `# note` line above each `- lookup_key: KEY` item line whose key has a note."""
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        item = line.lstrip(" ")
        if item.startswith("- lookup_key: "):
            key = yaml.safe_load(item.removeprefix("- lookup_key: "))
            if isinstance(key, str) and key in notes:
                indent = line[: len(line) - len(item)]
                out.append(f"{indent}# {notes[key]}\n")
        out.append(line)
    return "".join(out)


def dump_config(config: Config) -> str:
    """The config file's (`reconciler.yaml`) text, with the editor modeline."""
    return CONFIG_MODELINE + _yaml(config_document(config))
