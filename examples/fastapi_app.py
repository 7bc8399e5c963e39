"""Mounting the Stripe webhook and entitlement checks in a FastAPI app (FastAPI is not a
dependency of reconciler; `pip install fastapi uvicorn` to run this).

    STRIPE_API_KEY=sk_test_... STRIPE_WEBHOOK_SECRET=whsec_... REDIS_URL=redis://localhost:6379/0 \\
        uvicorn examples.fastapi_app:app

`Billing` calls are blocking (redis-py, the Stripe SDK): declare the handlers with plain `def`
so FastAPI runs them in its thread pool instead of blocking the event loop.
"""

from __future__ import annotations

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from reconciler import Billing, LimitExceeded
from reconciler.runtime.wsgi import webhook_response

app = FastAPI()
billing = Billing.from_env("plans")


@app.post("/stripe/webhook")
async def stripe_webhook(request: Request) -> JSONResponse:
    payload = await request.body()  # the raw bytes Stripe signed
    signature = request.headers.get("stripe-signature")
    # Verification and the sync are blocking: run them off the event loop.
    status, body = await run_in_threadpool(webhook_response, billing, payload, signature)
    return JSONResponse(body, status_code=status)


@app.post("/billing/checkout/{price}")
def checkout(price: str, x_user_id: str = Header()) -> RedirectResponse:
    return RedirectResponse(billing.checkout(x_user_id, price), status_code=303)


@app.get("/me/entitlements")
def my_entitlements(x_user_id: str = Header()) -> dict[str, object]:
    return billing.entitlements(x_user_id)


@app.post("/reports")
def create_report(x_user_id: str = Header()) -> dict[str, object]:
    try:
        used = billing.consume(x_user_id, "standard-credits")
    except LimitExceeded as exc:
        raise HTTPException(429, f"limit reached: {exc.used} of {exc.limit}") from exc
    return {"ok": True, "used": used}
