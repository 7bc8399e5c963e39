"""Events and webhook endpoints as resources: list and retrieve events, and create, list,
retrieve, update and delete the endpoints that `events.emit` delivers to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import missing, missing_parameter
from reconciler.emulator.events import shown
from reconciler.emulator.forms import (
    FREE,
    METADATA,
    SCALAR,
    STRINGS,
    as_bool,
    as_str_list,
    merge_metadata,
    not_modelled,
)
from reconciler.emulator.listing import EXPAND_ONLY, LIST_PARAMS, list_answer
from reconciler.emulator.store import StripeObject, new_id, new_secret

if TYPE_CHECKING:
    from reconciler.emulator.router import Call, Router
    from reconciler.emulator.state import Emulator

ENDPOINT_CREATE = {
    "url": SCALAR,
    "enabled_events": STRINGS,
    "description": SCALAR,
    "metadata": METADATA,
    "api_version": SCALAR,
    "expand": STRINGS,
    **not_modelled("connect"),
}
# docs: api/webhook_endpoints/update ("You may edit the url, the list of enabled_events, and
# the status of your endpoint"); the pinned SDK's WebhookEndpointUpdateParams.
ENDPOINT_UPDATE = {
    "url": SCALAR,
    "enabled_events": STRINGS,
    "description": SCALAR,
    "disabled": SCALAR,
    "metadata": METADATA,
    "expand": STRINGS,
}


def list_events(emulator: Emulator, call: Call) -> Any:
    wanted = set(as_str_list(call.params.get("types"), "types"))
    if "type" in call.params:
        wanted.add(str(call.params["type"]))

    def matches(event: StripeObject) -> bool:
        if not wanted:
            return True
        return any(
            event["type"] == pattern
            or (pattern.endswith("*") and event["type"].startswith(pattern[:-1]))
            for pattern in wanted
        )

    answer = list_answer(emulator.events, call.params, "/v1/events", "event", matches)
    answer["data"] = [shown(event) for event in answer["data"]]
    return answer


def retrieve_event(emulator: Emulator, call: Call) -> Any:
    event = emulator.events.get(call.args[0])
    if event is None:
        raise missing("event", call.args[0])
    return shown(event)


def create_endpoint(emulator: Emulator, call: Call) -> Any:
    params = call.params
    for name in ("url", "enabled_events"):
        if not params.get(name):
            raise missing_parameter(name)
    endpoint: StripeObject = {
        "id": new_id("we_"),
        "object": "webhook_endpoint",
        "api_version": params.get("api_version"),
        "application": None,
        "created": emulator.clock.now(),
        "description": params.get("description"),
        "enabled_events": as_str_list(params["enabled_events"], "enabled_events"),
        "livemode": False,
        "metadata": dict(params.get("metadata") or {}),
        "status": "enabled",
        "url": str(params["url"]),
    }
    emulator.webhook_endpoints.add(endpoint)
    secret = new_secret("whsec_")
    emulator.webhook_secrets[endpoint["id"]] = secret
    # Like Stripe, the secret is shown once: in the answer to create.
    return {**endpoint, "secret": secret}


def _endpoint(emulator: Emulator, endpoint_id: str) -> StripeObject:
    endpoint = emulator.webhook_endpoints.get(endpoint_id)
    if endpoint is None:
        raise missing("webhook_endpoint", endpoint_id)
    return endpoint


def retrieve_endpoint(emulator: Emulator, call: Call) -> Any:
    return _endpoint(emulator, call.args[0])


def update_endpoint(emulator: Emulator, call: Call) -> Any:
    """`disabled=true` sets `status` to `disabled` (no deliveries), `false` back to `enabled`;
    `description=""` clears it; metadata merges."""
    endpoint = _endpoint(emulator, call.args[0])
    params = call.params
    if "enabled_events" in params:
        events = as_str_list(params["enabled_events"], "enabled_events")
        if not events:
            raise missing_parameter("enabled_events")
        endpoint["enabled_events"] = events
    if "url" in params:
        if not params["url"]:
            raise missing_parameter("url")
        endpoint["url"] = str(params["url"])
    if "description" in params:
        endpoint["description"] = str(params["description"]) or None
    if "disabled" in params:
        disabled = as_bool(params["disabled"], "disabled")
        endpoint["status"] = "disabled" if disabled else "enabled"
    if "metadata" in params:
        endpoint["metadata"] = merge_metadata(endpoint["metadata"], params["metadata"])
    return endpoint


def list_endpoints(emulator: Emulator, call: Call) -> Any:
    return list_answer(
        emulator.webhook_endpoints, call.params, "/v1/webhook_endpoints", "webhook_endpoint"
    )


def delete_endpoint(emulator: Emulator, call: Call) -> Any:
    endpoint = _endpoint(emulator, call.args[0])
    emulator.webhook_endpoints.remove(endpoint["id"])
    emulator.webhook_secrets.pop(endpoint["id"], None)
    return {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}


def register(router: Router) -> None:
    router.add(
        "GET",
        "/v1/events",
        list_events,
        params={
            **LIST_PARAMS,
            "type": SCALAR,
            "types": STRINGS,
            "created": FREE,
            **not_modelled("delivery_success"),
        },
        sdk="EventListParams",
    )
    router.add(
        "GET", "/v1/events/:id", retrieve_event, params=EXPAND_ONLY, sdk="EventRetrieveParams"
    )
    router.add(
        "POST",
        "/v1/webhook_endpoints",
        create_endpoint,
        params=ENDPOINT_CREATE,
        sdk="WebhookEndpointCreateParams",
    )
    router.add(
        "GET",
        "/v1/webhook_endpoints",
        list_endpoints,
        params=LIST_PARAMS,
        sdk="WebhookEndpointListParams",
    )
    router.add(
        "GET",
        "/v1/webhook_endpoints/:id",
        retrieve_endpoint,
        params=EXPAND_ONLY,
        sdk="WebhookEndpointRetrieveParams",
    )
    router.add(
        "POST",
        "/v1/webhook_endpoints/:id",
        update_endpoint,
        params=ENDPOINT_UPDATE,
        sdk="WebhookEndpointUpdateParams",
    )
    router.add(
        "DELETE",
        "/v1/webhook_endpoints/:id",
        delete_endpoint,
        params={},
        sdk="WebhookEndpointDeleteParams",
    )
