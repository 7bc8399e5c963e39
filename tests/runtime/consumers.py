"""A process that consumes a metered limit, for tests that run several of them at once."""

from __future__ import annotations

# Consumes N times (amounts 1-3) on random entities `<prefix>-<0..entities-1>`; prints
# {entity: total}. argv: plans folder, seed, N, prefix, entities.
CONSUMER = """
import json, random, sys
from reconciler.runtime.billing import Billing
billing = Billing.from_env(sys.argv[1])
rng, tally = random.Random(int(sys.argv[2])), {}
prefix, entities = sys.argv[4], int(sys.argv[5])
for _ in range(int(sys.argv[3])):
    entity, amount = f"{prefix}-{rng.randrange(entities)}", rng.randint(1, 3)
    billing.consume(entity, "api-calls", amount)
    tally[entity] = tally.get(entity, 0) + amount
billing.close()
print(json.dumps(tally))
"""
