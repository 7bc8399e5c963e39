"""The runtime half of the demo: an entity subscribes through Checkout on the emulator.

Run by scripts/demo with STRIPE_API_KEY / STRIPE_API_BASE pointing at the emulator and an
embedded store. Prints what a web app would see at each step.
"""

from __future__ import annotations

import json
import os
import sys

from reconciler import Billing
from reconciler.testing import EmulatorControl


def show(label: str, value: object) -> None:
    print(f"{label}: {json.dumps(value, sort_keys=True, default=str)}")


def main() -> int:
    entity = sys.argv[1] if len(sys.argv) > 1 else "user_42"
    billing = Billing.from_env(plans_path="plans")
    control = EmulatorControl(os.environ["STRIPE_API_BASE"])
    try:
        show("entitlements before", billing.entitlements(entity))
        customer = billing.create_stripe_customer(entity, email=f"{entity}@example.com")
        print(f"customer: {customer}")
        session = billing.checkout_session(entity, "pro_monthly")
        print(f"checkout url: {session.url}")
        control.complete_checkout(session.id)  # the customer pays on the hosted page
        show("synced subscription", billing.sync(customer))
        show("entitlements after", billing.entitlements(entity))
        billing.consume(entity, "premium-credits", 25)
        show("usage of premium-credits", billing.usage(entity, "premium-credits"))
        # Stripe refuses portal sessions until the account has a default portal configuration,
        # made by saving the customer portal settings in the Dashboard once; the emulator
        # plays that step here.
        control.save_portal_settings()
        print(f"portal url: {billing.get_portal(entity)}")
    finally:
        billing.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
