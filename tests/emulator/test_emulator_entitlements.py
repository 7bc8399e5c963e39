"""Entitlement features, product features and active entitlements through the SDK.

Pages: https://docs.stripe.com/api/entitlements/feature/object,
https://docs.stripe.com/api/product-feature,
https://docs.stripe.com/api/entitlements/active-entitlement/list.
"""

from __future__ import annotations

import uuid

import pytest
import stripe


def _key() -> str:
    return f"contract_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def feature(client: stripe.StripeClient) -> stripe.entitlements.Feature:
    return client.v1.entitlements.features.create(
        params={"lookup_key": _key(), "name": "SSO", "metadata": {"plan": "pro"}}
    )


def test_feature_shape_and_update(
    client: stripe.StripeClient, feature: stripe.entitlements.Feature
) -> None:
    assert feature.id.startswith("feat_")
    assert feature.object == "entitlements.feature"
    assert (feature.name, feature.active) == ("SSO", True)
    assert feature.metadata.to_dict() == {"plan": "pro"}
    renamed = client.v1.entitlements.features.update(feature.id, params={"name": "Single sign-on"})
    assert renamed.name == "Single sign-on"
    assert renamed.lookup_key == feature.lookup_key


def test_lookup_key_filter_and_archived_features(
    client: stripe.StripeClient, feature: stripe.entitlements.Feature
) -> None:
    found = client.v1.entitlements.features.list(params={"lookup_key": feature.lookup_key})
    assert [f.id for f in found.data] == [feature.id]
    client.v1.entitlements.features.update(feature.id, params={"active": False})
    hidden = client.v1.entitlements.features.list(params={"lookup_key": feature.lookup_key})
    assert hidden.data == []
    archived = client.v1.entitlements.features.list(
        params={"lookup_key": feature.lookup_key, "archived": True}
    )
    assert [f.id for f in archived.data] == [feature.id]


def test_name_and_lookup_key_limits(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as too_long:
        client.v1.entitlements.features.create(params={"lookup_key": "k" * 81, "name": "x"})
    assert too_long.value.param == "lookup_key"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.entitlements.features.create(params={"lookup_key": _key()})  # type: ignore[typeddict-item]
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "name")


def test_attach_list_and_detach(
    client: stripe.StripeClient, feature: stripe.entitlements.Feature
) -> None:
    product = client.v1.products.create(params={"name": "Pro"})
    attached = client.v1.products.features.create(
        product.id, params={"entitlement_feature": feature.id}
    )
    assert attached.id.startswith("prodft_")
    assert attached.object == "product_feature"
    assert attached.entitlement_feature.id == feature.id
    assert attached.entitlement_feature.lookup_key == feature.lookup_key
    listed = client.v1.products.features.list(product.id)
    assert [f.id for f in listed.data] == [attached.id]
    deleted = client.v1.products.features.delete(product.id, attached.id)
    assert deleted.deleted is True
    assert client.v1.products.features.list(product.id).data == []


def test_inactive_feature_cannot_be_attached(
    client: stripe.StripeClient, feature: stripe.entitlements.Feature
) -> None:
    product = client.v1.products.create(params={"name": "Archived"})
    client.v1.entitlements.features.update(feature.id, params={"active": False})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.products.features.create(product.id, params={"entitlement_feature": feature.id})
    assert refused.value.param == "entitlement_feature"


@pytest.mark.emulator_only
def test_active_entitlements_follow_subscriptions(
    client: stripe.StripeClient, feature: stripe.entitlements.Feature
) -> None:
    product = client.v1.products.create(params={"name": "Entitled"})
    client.v1.products.features.create(product.id, params={"entitlement_feature": feature.id})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
        }
    )
    customer = client.v1.customers.create(
        params={
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    listed = client.v1.entitlements.active_entitlements.list(params={"customer": customer.id})
    assert listed.data == []
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    # Stripe recomputes entitlements asynchronously (hence emulator_only); the emulator at once.
    (entitlement,) = client.v1.entitlements.active_entitlements.list(
        params={"customer": customer.id}
    ).data
    assert entitlement.object == "entitlements.active_entitlement"
    assert (entitlement.feature, entitlement.lookup_key) == (feature.id, feature.lookup_key)
    client.v1.subscriptions.cancel(subscription.id)
    after = client.v1.entitlements.active_entitlements.list(params={"customer": customer.id})
    assert after.data == []
