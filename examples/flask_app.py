"""Mounting the Stripe webhook and entitlement checks in a Flask app (Flask is not a
dependency of reconciler; `pip install flask` to run this).

    STRIPE_API_KEY=sk_test_... STRIPE_WEBHOOK_SECRET=whsec_... REDIS_URL=redis://localhost:6379/0 \\
        flask --app examples/flask_app.py run
"""

from __future__ import annotations

from flask import Flask, abort, jsonify, redirect, request

from reconciler import Billing, LimitExceeded
from reconciler.runtime.wsgi import webhook_response

app = Flask(__name__)
billing = Billing.from_env("plans")


@app.post("/stripe/webhook")
def stripe_webhook():  # type: ignore[no-untyped-def]
    # The raw body, exactly as Stripe signed it: never a re-serialized JSON.
    status, body = webhook_response(
        billing, request.get_data(), request.headers.get("Stripe-Signature")
    )
    return jsonify(body), status


@app.post("/billing/checkout/<price>")
def checkout(price: str):  # type: ignore[no-untyped-def]
    user_id = request.headers["X-User-Id"]  # your own authentication goes here
    return redirect(billing.checkout(user_id, price), code=303)


@app.post("/reports")
def create_report():  # type: ignore[no-untyped-def]
    user_id = request.headers["X-User-Id"]
    if not billing.has_feature(user_id, "Reports"):
        abort(402)
    try:
        billing.consume(user_id, "standard-credits")
    except LimitExceeded as exc:
        return jsonify({"error": "limit reached", "used": exc.used, "limit": exc.limit}), 429
    return jsonify({"ok": True})
