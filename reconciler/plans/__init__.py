"""Reading plan files: YAML with positions, JSON Schema, Stripe's own limits, the model."""

from reconciler.plans.load import LoadResult, load_plans

__all__ = ["LoadResult", "load_plans"]
