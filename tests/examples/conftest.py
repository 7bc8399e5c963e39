"""The recipes run on the runtime tests' catalog: the example plans pushed to the emulator."""

from tests.runtime.conftest import plans, price_ids

__all__ = ["plans", "price_ids"]
