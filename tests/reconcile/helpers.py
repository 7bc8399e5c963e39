"""Builders for the reconcile tests: a desired catalog and the live catalog Stripe would hold
for it, made from the raw dicts Stripe returns so the real normalizer reads them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import stripe

from reconciler.kinds.values import new_price, new_product
from reconciler.metadata import price_metadata, product_metadata
from reconciler.model import Catalog, Config, Price, Product, Recurring, Tier
from reconciler.plans.dump import dump_config, dump_product
from reconciler.stripe_catalog import LiveCatalog, normalize_price, normalize_product
from reconciler.testing import EmulatorControl

CONFIG = Config()


def price(lookup_key: str, amount: int = 1000, **extra: Any) -> Price:
    fields: dict[str, Any] = {
        "currency": "usd",
        "unit_amount": Decimal(amount),
        "recurring": Recurring("month"),
        "limits": {"seats": 1},
        "features": {"Support": False},
    }
    fields.update(extra)
    return new_price(lookup_key, **fields)


def product(key: str, *prices: Price, **extra: Any) -> Product:
    fields: dict[str, Any] = {"name": key.title(), "default_price": prices[0].lookup_key}
    fields.update(extra)
    return new_product(key, prices=prices, **fields)


def raw_product(p: Product, managed: bool = True) -> dict[str, Any]:
    metadata = product_metadata(p)
    if not managed:
        metadata.pop("managed-by")
    return {
        "id": f"prod_{p.key}",
        "created": 1,
        "name": p.name,
        "description": p.description,
        "active": p.active,
        "metadata": metadata,
        "default_price": f"price_{p.default_price}" if p.default_price else None,
    }


def raw_price(pr: Price, product_id: str, managed: bool = True) -> dict[str, Any]:
    metadata = price_metadata(pr, CONFIG)
    if not managed:
        metadata.pop("managed-by")
    tiers = [
        {
            "up_to": t.up_to,
            "unit_amount_decimal": None if t.unit_amount is None else str(t.unit_amount),
            "flat_amount_decimal": None if t.flat_amount is None else str(t.flat_amount),
        }
        for t in pr.tiers
    ]
    return {
        "id": f"price_{pr.lookup_key}",
        "product": product_id,
        "created": 1,
        "lookup_key": pr.lookup_key or None,
        "currency": pr.currency,
        "unit_amount_decimal": None if pr.unit_amount is None else str(pr.unit_amount),
        "recurring": {
            "interval": pr.recurring.interval,
            "interval_count": pr.recurring.interval_count,
        }
        if pr.recurring
        else None,
        "nickname": pr.nickname,
        "tax_behavior": pr.tax_behavior,
        "tiers_mode": pr.tiers_mode,
        "tiers": tiers,
        "metadata": metadata,
        "active": pr.active,
    }


def synced(catalog: Catalog) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Raw products and prices of an account that matches `catalog` exactly."""
    products = [raw_product(p) for p in catalog.products]
    prices = [raw_price(pr, f"prod_{p.key}") for p in catalog.products for pr in p.prices]
    return products, prices


def live(products: list[dict[str, Any]], prices: list[dict[str, Any]]) -> LiveCatalog:
    return LiveCatalog(
        tuple(normalize_product(p) for p in products),
        tuple(normalize_price(p, CONFIG) for p in prices),
    )


def tiered(lookup_key: str) -> Price:
    return price(
        lookup_key,
        unit_amount=None,
        tiers_mode="graduated",
        tiers=(Tier(10, Decimal(1200)), Tier(None, Decimal(900))),
    )


def write_plans(folder: Path, catalog: Catalog, config: Config = CONFIG) -> Path:
    """Plan files for `catalog` in `folder` (replacing what was there)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    (folder / "reconciler.yaml").write_text(dump_config(config), encoding="utf-8")
    for p in catalog.products:
        (folder / f"{p.key}.yaml").write_text(dump_product(p), encoding="utf-8")
    return folder


def hand_made(
    client: stripe.StripeClient,
    name: str,
    lookup_key: str,
    amount: int,
    currency: str = "usd",
    metadata: dict[str, str] | None = None,
    product_metadata: dict[str, str] | None = None,
) -> Any:
    """A monthly product and price made outside the tool (no ownership marker); the product."""
    made = client.v1.products.create(params={"name": name, "metadata": product_metadata or {}})
    price_params: Any = {
        "product": made.id,
        "currency": currency,
        "unit_amount": amount,
        "lookup_key": lookup_key,
        "recurring": {"interval": "month"},
        "metadata": metadata or {},
    }
    client.v1.prices.create(params=price_params)
    return made


def every_price(client: stripe.StripeClient, **params: Any) -> list[Any]:
    """Every price matching `params`, active and archived: Stripe lists only active prices
    unless asked for `active=false` (docs.stripe.com/api/prices/list)."""
    found: list[Any] = []
    for active in (True, False):
        query: Any = {**params, "active": active, "limit": 100}
        found.extend(client.v1.prices.list(params=query).data)
    return found


def writes(emulator: EmulatorControl) -> int:
    """Requests other than GETs the emulator counted: Stripe writes."""
    routes: dict[str, int] = emulator.counters()["by_route"]
    return sum(n for route, n in routes.items() if not route.startswith("GET "))
