"""Turn validated plan documents into the frozen model (no checks here: they ran before)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from reconciler.kinds import PRICE, PRODUCT
from reconciler.model import (
    UNLIMITED,
    AccountObject,
    Catalog,
    Config,
    FeatureValue,
    Limit,
    LimitSpec,
    LimitValue,
    Mode,
    Price,
    Product,
    Urls,
    limit_spec,
    with_meter,
)


def _amount(value: Any) -> LimitValue:
    return UNLIMITED if value == "unlimited" else int(value)


def _limit(raw: Any) -> LimitSpec:
    """A validated plan-file limit: a plain value or the `{per_unit | value, reset, meter}`
    form (which collapses to the plain value when it adds nothing)."""
    if not isinstance(raw, dict):
        return _amount(raw)
    per_unit = "per_unit" in raw
    amount = _amount(raw["per_unit"] if per_unit else raw["value"])
    return limit_spec(Limit(amount, per_unit, raw.get("reset", "billing_period"), raw.get("meter")))


def _limits(raw: Any) -> dict[str, LimitSpec]:
    return {k: _limit(v) for k, v in (raw or {}).items()}


def _features(raw: Any) -> dict[str, FeatureValue]:
    return dict(raw or {})


def build_price(raw: dict[str, Any], product: dict[str, Any]) -> Price:
    """A price with the product's limits and features, overridden by its own."""
    return Price(
        terms=PRICE.from_plan(raw),
        limits={**_limits(product.get("limits")), **_limits(raw.get("limits"))},
        features={**_features(product.get("features")), **_features(raw.get("features"))},
        metadata=dict(raw.get("metadata") or {}),
        trial_days=raw.get("trial_days"),
        legacy=bool(raw.get("legacy", False)),
    )


def build_product(data: dict[str, Any]) -> Product:
    head = data["product"]
    prices = tuple(
        sorted((build_price(p, data) for p in data.get("prices", ())), key=lambda p: p.lookup_key)
    )
    default = next((p["lookup_key"] for p in data.get("prices", ()) if p.get("default")), None)
    return Product(
        key=head["key"],
        terms=PRODUCT.from_plan(head),
        metadata=dict(head.get("metadata") or {}),
        prices=prices,
        default_price=default,
        limits=_limits(data.get("limits")),
        features=_features(data.get("features")),
        proration_behavior=head.get("proration_behavior", "create_prorations"),
        add_on=bool(head.get("add_on", False)),
    )


def _urls(raw: Any) -> Urls:
    raw = raw or {}
    return Urls(raw.get("checkout_success"), raw.get("checkout_cancel"), raw.get("portal_return"))


def build_config(data: dict[str, Any]) -> Config:
    prefixes = data.get("metadata_prefixes") or {}
    environments = {
        cast(Mode, mode): _urls((env or {}).get("urls"))
        for mode, env in (data.get("environments") or {}).items()
    }
    return Config(
        limits_prefix=prefixes.get("limits", "limits:"),
        features_prefix=prefixes.get("features", "features:"),
        default_limits=_limits(data.get("default_limits")),
        default_plan=data.get("default_plan"),
        urls=_urls(data.get("urls")),
        environments=environments,
        on_store_unavailable=data.get("on_store_unavailable", "fail"),
        stripe_entitlements=bool(data.get("stripe_entitlements", False)),
    )


def build_catalog(products: list[dict[str, Any]]) -> Catalog:
    return Catalog(tuple(sorted((build_product(p) for p in products), key=lambda p: p.key)))


def granted_features(product: Product) -> tuple[str, ...]:
    """The boolean features a product grants: true on the product or on any of its prices."""
    names = {name for name, value in product.features.items() if value is True}
    for price in product.prices:
        names.update(name for name, value in price.features.items() if value is True)
    return tuple(sorted(names))


def entitlement_objects(catalog: Catalog) -> tuple[AccountObject, ...]:
    """Stripe Entitlements features for the plans' boolean features (lookup key and name are
    the feature's name), and one product feature per product that grants each."""
    features: dict[str, AccountObject] = {}
    attached: list[AccountObject] = []
    for product in catalog.products:
        for name in granted_features(product):
            features.setdefault(
                name, AccountObject("feature", name, {"lookup_key": name, "name": name})
            )
            terms = {"product": product.key, "entitlement_feature": name}
            attached.append(AccountObject("product_feature", f"{product.key}/{name}", terms))
    return (*features.values(), *attached)


def with_objects(catalog: Catalog, declared: tuple[AccountObject, ...], config: Config) -> Catalog:
    """The catalog with its account-level objects: those declared, and with
    `stripe_entitlements` the Entitlements features its boolean features derive."""
    # Prices name a meter by its plan key; Stripe knows it by its event name (its identity).
    events = {o.alias: o.key for o in declared if o.kind == "meter" and o.alias}
    catalog = Catalog(
        tuple(
            replace(p, prices=tuple(with_meter(price, events) for price in p.prices))
            for p in catalog.products
        ),
        catalog.objects,
    )
    derived = entitlement_objects(catalog) if config.stripe_entitlements else ()
    declared = tuple(_with_switching(o, catalog) for o in declared)
    # A feature the objects file declares keeps its own name and metadata; the attachments of
    # both are kept, each once.
    named = {(o.kind, o.key) for o in declared}
    derived = tuple(o for o in derived if (o.kind, o.key) not in named)
    objects = sorted((*declared, *derived), key=lambda o: (o.kind, o.key))
    products = catalog.products
    if config.stripe_entitlements:
        # What apply records on each product as attached: derived and declared alike.
        attached: dict[str, set[str]] = {}
        for obj in objects:
            if obj.kind == "product_feature":
                product_key = str(obj.terms["product"])
                attached.setdefault(product_key, set()).add(str(obj.terms["entitlement_feature"]))
        products = tuple(
            replace(p, entitlement_features=tuple(sorted(attached.get(p.key, ()))))
            for p in products
        )
    return Catalog(products, tuple(objects))


def switchable(catalog: Catalog) -> dict[str, list[str]]:
    """What customers may switch between in the portal unless the plan says: every active
    product with its active recurring prices (product key -> lookup keys)."""
    found: dict[str, list[str]] = {}
    for product in catalog.products:
        prices = [p.lookup_key for p in product.prices if p.active and p.recurring]
        if product.active and prices:
            found[product.key] = sorted(prices)
    return found


def _with_switching(obj: AccountObject, catalog: Catalog) -> AccountObject:
    """A portal configuration with its plan-switching products filled in when left out."""
    if obj.kind != "portal_configuration":
        return obj
    features = dict(obj.terms["features"])
    switching = dict(features["subscription_update"])
    if switching.get("products") is not None:
        return obj
    switching["products"] = switchable(catalog)
    features["subscription_update"] = switching
    return replace(obj, terms={**obj.terms, "features": features})
