"""Just enough settings to run the recipe on its own, from the repository's root:

    pip install 'reconciler[examples]'      # or: pip install django
    STRIPE_API_KEY=sk_test_... STRIPE_WEBHOOK_SECRET=whsec_... REDIS_URL=redis://localhost:6379/0 \\
        python -m django runserver --settings examples.django_billing.settings

In your own project, add `RECONCILER_PLANS` to your settings and include `urls.py`; keep
`CsrfViewMiddleware` (the webhook view is exempt on its own).
"""

from __future__ import annotations

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "only-for-running-the-example-locally")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "examples.django_billing.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
USE_TZ = True
# The plans folder Billing.from_env reads.
RECONCILER_PLANS = os.environ.get("RECONCILER_PLANS", "plans")
