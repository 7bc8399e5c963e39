"""Stripe webhook, Checkout and an entitlement-gated view in a Django project.

CSRF: Stripe cannot send Django's CSRF token, so with CsrfViewMiddleware (on in every new
project) a plain webhook view answers each delivery 403 and Stripe keeps retrying. The webhook
view is therefore `csrf_exempt`; what authenticates it instead is the `Stripe-Signature` check
in `webhook_response` (an HMAC of the raw body with the endpoint's signing secret), which
answers 400 to anything Stripe did not sign. Every other view keeps CSRF protection: your pages
post to `checkout` and `create_report` with the token (`{% csrf_token %}` in a form, or the
`X-CSRFToken` header from the `csrftoken` cookie, which `my_entitlements` makes sure is set).
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from reconciler import Billing, LimitExceeded
from reconciler.runtime.wsgi import webhook_response


@cache
def get_billing() -> Billing:
    """One `Billing` per process, from the environment and `settings.RECONCILER_PLANS`."""
    return Billing.from_env(getattr(settings, "RECONCILER_PLANS", "plans"))


def _user_id(request: HttpRequest) -> str:
    # Your own authentication goes here (with django.contrib.auth: str(request.user.pk)).
    return str(request.headers["X-User-Id"])


@csrf_exempt  # Stripe signs the body instead; see the module docstring.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    # request.body: the raw bytes Stripe signed, never a re-serialized JSON.
    status, body = webhook_response(
        get_billing(), request.body, request.headers.get("Stripe-Signature")
    )
    return JsonResponse(body, status=status)


@require_POST
def checkout(request: HttpRequest, price: str) -> HttpResponse:
    response = HttpResponseRedirect(get_billing().checkout(_user_id(request), price))
    response.status_code = 303  # See Other: the browser follows with a GET
    return response


@ensure_csrf_cookie
@require_GET
def my_entitlements(request: HttpRequest) -> HttpResponse:
    return JsonResponse(get_billing().entitlements(_user_id(request)))


@require_POST
def create_report(request: HttpRequest) -> HttpResponse:
    billing = get_billing()
    user_id = _user_id(request)
    if not billing.has_feature(user_id, "Premium Credits"):
        return JsonResponse({"error": "your plan does not include premium reports"}, status=402)
    try:
        used = billing.consume(user_id, "premium-credits")
    except LimitExceeded as exc:
        body = {"error": "limit reached", "used": exc.used, "limit": exc.limit}
        return JsonResponse(body, status=429)
    return JsonResponse({"ok": True, "used": used})
