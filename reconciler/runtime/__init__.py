"""The runtime side: what an application calls on each request (see `docs/runtime.md`).

`reconciler.runtime.billing.Billing` is the facade; the store layer is `reconciler.runtime.store`.
"""
