"""Stripe webhook, Checkout and an entitlement-gated view in a Flask app.

    pip install 'reconciler[examples]'      # or: pip install flask
    STRIPE_API_KEY=sk_test_... STRIPE_WEBHOOK_SECRET=whsec_... REDIS_URL=redis://localhost:6379/0 \\
        flask --app examples/flask_app.py run

Flask finds `create_app` and calls it. The test suite runs this app against the emulator
(tests/examples/).
"""

from __future__ import annotations

from flask import Flask, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from reconciler import Billing, LimitExceeded
from reconciler.runtime.wsgi import webhook_response


def create_app(billing: Billing | None = None) -> Flask:
    """The app; `billing` defaults to `Billing.from_env("plans")`."""
    service = billing or Billing.from_env("plans")
    app = Flask(__name__)

    @app.post("/stripe/webhook")
    def stripe_webhook() -> ResponseReturnValue:
        # The raw body, exactly as Stripe signed it: never a re-serialized JSON.
        status, body = webhook_response(
            service, request.get_data(), request.headers.get("Stripe-Signature")
        )
        return jsonify(body), status

    @app.post("/billing/checkout/<price>")
    def checkout(price: str) -> ResponseReturnValue:
        user_id = request.headers["X-User-Id"]  # your own authentication goes here
        return redirect(service.checkout(user_id, price), code=303)

    @app.get("/me/entitlements")
    def my_entitlements() -> ResponseReturnValue:
        return jsonify(service.entitlements(request.headers["X-User-Id"]))

    @app.post("/reports")
    def create_report() -> ResponseReturnValue:
        user_id = request.headers["X-User-Id"]
        if not service.has_feature(user_id, "Premium Credits"):
            # Not abort(402): Werkzeug has no exception for 402, so abort raises LookupError.
            return jsonify({"error": "your plan does not include premium reports"}), 402
        try:
            used = service.consume(user_id, "premium-credits")
        except LimitExceeded as exc:
            body = {"error": "limit reached", "used": exc.used, "limit": exc.limit}
            return jsonify(body), 429
        return jsonify({"ok": True, "used": used}), 200

    return app
