"""Stripe webhook, Checkout and an entitlement-gated view in a FastAPI app.

    pip install 'reconciler[examples]'      # or: pip install fastapi uvicorn
    STRIPE_API_KEY=sk_test_... STRIPE_WEBHOOK_SECRET=whsec_... REDIS_URL=redis://localhost:6379/0 \\
        uvicorn --factory examples.fastapi_app:create_app

`Billing` calls are blocking (redis-py, the Stripe SDK): the handlers are plain `def`, which
FastAPI runs in its thread pool, and the async webhook hands its work to that pool, so nothing
blocks the event loop. The test suite runs this app against the emulator (tests/examples/).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from reconciler import Billing, LimitExceeded
from reconciler.runtime.wsgi import webhook_response


def create_app(billing: Billing | None = None) -> FastAPI:
    """The app; `billing` defaults to `Billing.from_env("plans")`."""
    service = billing or Billing.from_env("plans")
    app = FastAPI()

    @app.post("/stripe/webhook")
    async def stripe_webhook(request: Request) -> JSONResponse:
        payload = await request.body()  # the raw bytes Stripe signed
        signature = request.headers.get("stripe-signature")
        status, body = await run_in_threadpool(webhook_response, service, payload, signature)
        return JSONResponse(body, status_code=status)

    @app.post("/billing/checkout/{price}")
    def checkout(price: str, x_user_id: str = Header()) -> RedirectResponse:
        # x_user_id: your own authentication goes here.
        return RedirectResponse(service.checkout(x_user_id, price), status_code=303)

    @app.get("/me/entitlements")
    def my_entitlements(x_user_id: str = Header()) -> dict[str, Any]:
        return service.entitlements(x_user_id)

    @app.post("/reports")
    def create_report(x_user_id: str = Header()) -> dict[str, Any]:
        if not service.has_feature(x_user_id, "Premium Credits"):
            raise HTTPException(402, "your plan does not include premium reports")
        try:
            used = service.consume(x_user_id, "premium-credits")
        except LimitExceeded as exc:
            raise HTTPException(429, f"limit reached: {exc.used} of {exc.limit}") from exc
        return {"ok": True, "used": used}

    return app
