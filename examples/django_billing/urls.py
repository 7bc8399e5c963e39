"""Routes of the Django recipe: include them in your project's urls.py."""

from __future__ import annotations

from django.urls import path

from examples.django_billing import views

urlpatterns = [
    path("stripe/webhook", views.stripe_webhook),
    path("billing/checkout/<str:price>", views.checkout),
    path("me/entitlements", views.my_entitlements),
    path("reports", views.create_report),
]
