"""Bulk operations at Stripe's rate limit: customer backfill and subscription sync for every
mapped customer; resumable, and shared across workers through the runtime store."""
