"""The Django recipe: views.py (webhook, Checkout, an entitlement-gated view), urls.py, and a
minimal settings.py to run it on its own."""
