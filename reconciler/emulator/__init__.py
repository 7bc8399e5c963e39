"""A local Stripe emulator for tests: the API subset this project uses, over HTTP.

Start one with `run_in_thread()` (tests) or `reconciler emulator` (a shell), then
point the official SDK at its `.url`. Only the standard library is used, so it
starts fast and never imports the `stripe` package. See docs/emulator.md.
"""

from reconciler.emulator.runner import RunningEmulator, create_server, run_in_thread
from reconciler.emulator.state import Emulator

__all__ = ["Emulator", "RunningEmulator", "create_server", "run_in_thread"]
