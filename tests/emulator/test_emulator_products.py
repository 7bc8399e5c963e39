"""Products through the official SDK: the contract the catalog code relies on."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest
import stripe

from reconciler.testing import EmulatorControl


def _name() -> str:
    return f"Emulator contract {uuid.uuid4().hex[:10]}"


def test_create_returns_a_full_product(client: stripe.StripeClient) -> None:
    name = _name()
    product = client.v1.products.create(
        params={"name": name, "description": "Gold", "metadata": {"tier": "gold"}}
    )
    assert product.id.startswith("prod_")
    assert product.object == "product"
    assert product.name == name
    assert product.description == "Gold"
    assert product.metadata.to_dict() == {"tier": "gold"}
    assert product.active is True
    assert product.livemode is False
    assert product.default_price is None
    assert product.images == []
    assert product.created == product.updated


def test_custom_id_is_kept_and_cannot_be_reused(client: stripe.StripeClient) -> None:
    product_id = f"prod_contract_{uuid.uuid4().hex[:8]}"
    assert client.v1.products.create(params={"id": product_id, "name": _name()}).id == product_id
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.create(params={"id": product_id, "name": _name()})
    assert caught.value.code == "resource_already_exists"
    assert caught.value.http_status == 400


def test_missing_and_unknown_parameters(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.create(params={"description": "no name"})  # type: ignore[typeddict-item]
    assert caught.value.code == "parameter_missing"
    assert caught.value.param == "name"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.products.create(params={"name": _name(), "foo": "bar"})  # type: ignore[typeddict-unknown-key]
    assert unknown.value.code == "parameter_unknown"
    assert unknown.value.param == "foo"
    assert unknown.value.user_message == "Received unknown parameter: foo"


def test_retrieve_missing_is_404_naming_the_id(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.retrieve("prod_doesnotexist")
    error = caught.value
    assert error.http_status == 404
    assert error.code == "resource_missing"
    assert error.param == "id"
    assert error.user_message == "No such product: 'prod_doesnotexist'"
    assert error.request_id is not None and error.request_id.startswith("req_")


def test_update_merges_metadata_deletes_empty_keys_and_clears(
    client: stripe.StripeClient,
) -> None:
    product = client.v1.products.create(params={"name": _name(), "metadata": {"a": "1", "b": "2"}})
    updated = client.v1.products.update(product.id, params={"metadata": {"b": "", "c": "3"}})
    assert updated.metadata.to_dict() == {"a": "1", "c": "3"}
    cleared = client.v1.products.update(product.id, params={"metadata": ""})
    assert cleared.metadata.to_dict() == {}


def test_update_active_and_text_fields(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": _name()})
    updated = client.v1.products.update(
        product.id, params={"active": False, "name": "Renamed", "description": "New"}
    )
    assert (updated.active, updated.name, updated.description) == (False, "Renamed", "New")
    assert client.v1.products.retrieve(product.id).active is False


def test_default_price_must_belong_to_the_product(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": _name()})
    other = client.v1.products.create(params={"name": _name()})
    own = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 500}
    )
    foreign = client.v1.prices.create(
        params={"product": other.id, "currency": "usd", "unit_amount": 500}
    )
    assert (
        client.v1.products.update(product.id, params={"default_price": own.id}).default_price
        == own.id
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.update(product.id, params={"default_price": foreign.id})
    assert caught.value.param == "default_price"


def test_default_price_data_creates_the_price(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={
            "name": _name(),
            "default_price_data": {
                "currency": "eur",
                "unit_amount": 1200,
                "recurring": {"interval": "year"},
            },
        }
    )
    assert product.default_price is not None
    price = client.v1.prices.retrieve(str(product.default_price))
    assert (price.product, price.currency, price.unit_amount) == (product.id, "eur", 1200)
    assert price.recurring is not None and price.recurring.interval == "year"


@pytest.mark.emulator_only
def test_list_is_newest_first_with_cursors(client: stripe.StripeClient) -> None:
    ids = [client.v1.products.create(params={"name": f"P{index}"}).id for index in range(5)]
    newest_first = list(reversed(ids))
    page = client.v1.products.list(params={"limit": 2})
    assert [product.id for product in page.data] == newest_first[:2]
    assert page.has_more is True
    assert page.url == "/v1/products"
    after = client.v1.products.list(params={"limit": 2, "starting_after": newest_first[1]})
    assert [product.id for product in after.data] == newest_first[2:4]
    last = client.v1.products.list(params={"limit": 2, "starting_after": newest_first[3]})
    assert [product.id for product in last.data] == newest_first[4:]
    assert last.has_more is False
    before = client.v1.products.list(params={"limit": 2, "ending_before": newest_first[4]})
    assert [product.id for product in before.data] == newest_first[2:4]
    assert before.has_more is True


@pytest.mark.emulator_only
def test_auto_paging_walks_everything(client: stripe.StripeClient) -> None:
    ids = {client.v1.products.create(params={"name": f"P{index}"}).id for index in range(7)}
    seen = [p.id for p in client.v1.products.list(params={"limit": 3}).auto_paging_iter()]
    assert set(seen) == ids and len(seen) == 7


@pytest.mark.emulator_only
def test_list_filters_active_and_ids(client: stripe.StripeClient) -> None:
    kept = client.v1.products.create(params={"name": "kept"})
    archived = client.v1.products.create(params={"name": "archived", "active": False})
    assert [p.id for p in client.v1.products.list(params={"active": True}).data] == [kept.id]
    assert [p.id for p in client.v1.products.list(params={"active": False}).data] == [archived.id]
    chosen = client.v1.products.list(params={"ids": [archived.id]})
    assert [p.id for p in chosen.data] == [archived.id]


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_out_of_range_is_rejected(client: stripe.StripeClient, limit: int) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.list(params={"limit": limit})
    assert caught.value.param == "limit"


def test_unknown_cursor_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.list(params={"starting_after": "prod_unknown"})
    assert caught.value.http_status == 404
    assert caught.value.param == "starting_after"


def test_delete_only_without_prices(client: stripe.StripeClient) -> None:
    bare = client.v1.products.create(params={"name": _name()})
    deleted = client.v1.products.delete(bare.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (bare.id, "product", True)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.products.retrieve(bare.id)
    priced = client.v1.products.create(params={"name": _name()})
    client.v1.prices.create(params={"product": priced.id, "currency": "usd", "unit_amount": 1})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.delete(priced.id)
    assert caught.value.user_message == (
        "This product cannot be deleted because it has one or more user-created prices."
    )


@pytest.mark.emulator_only
def test_search_by_metadata_active_and_name(client: stripe.StripeClient) -> None:
    gold = client.v1.products.create(params={"name": "Gold", "metadata": {"tier": "gold"}})
    client.v1.products.create(params={"name": "Silver", "metadata": {"tier": "silver"}})
    client.v1.products.create(
        params={"name": "Old gold", "metadata": {"tier": "gold"}, "active": False}
    )
    found = client.v1.products.search(params={"query": "metadata['tier']:'gold' AND active:'true'"})
    assert found["object"] == "search_result"
    assert [product.id for product in found.data] == [gold.id]
    assert found["url"] == "/v1/products/search"
    by_name = client.v1.products.search(params={"query": 'name:"Silver"'})
    assert [product.name for product in by_name.data] == ["Silver"]
    spaced = client.v1.products.search(params={"query": "metadata['tier']:'gold' active:'false'"})
    assert [product.name for product in spaced.data] == ["Old gold"]


@pytest.mark.emulator_only
def test_search_pages_with_next_page(client: stripe.StripeClient) -> None:
    for index in range(5):
        client.v1.products.create(params={"name": f"P{index}", "metadata": {"k": "v"}})
    first = client.v1.products.search(params={"query": "metadata['k']:'v'", "limit": 3})
    assert len(first.data) == 3 and first.has_more is True and first.next_page
    second = client.v1.products.search(
        params={"query": "metadata['k']:'v'", "limit": 3, "page": first.next_page}
    )
    assert [p.name for p in second.data] == ["P1", "P0"]
    assert second.has_more is False and second.next_page is None


def test_search_rejects_unknown_fields(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.search(params={"query": "colour:'red'"})
    assert caught.value.param == "query"


@pytest.mark.emulator_only
def test_seed_control_creates_products(
    control: EmulatorControl, client: stripe.StripeClient
) -> None:
    answer = control._call("POST", "seed/products", {"count": 25})
    assert answer == {"created": 25}
    seen = list(client.v1.products.list(params={"limit": 100}).auto_paging_iter())
    assert len(seen) == 25


def test_a_failed_update_changes_nothing(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Stable"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.products.update(
            product.id, params=cast(Any, {"name": "Changed", "metadata": {"k": {"deep": "x"}}})
        )
    assert client.v1.products.retrieve(product.id).name == "Stable"
