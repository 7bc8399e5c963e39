"""Reconciling plan files with Stripe: a pure diff into change values, a fingerprinted plan,
renderers that make no decisions, and an executor that applies a plan in a safe order."""
