"""One API version everywhere: the emulator's default, the Python SDK's and stripe-node's.

Moving the pin is one change (docs/emulator.md, "Moving the pinned API version"); this test
fails until all three move together, so the type check always runs against the stripe-node
release of the emulator's version.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import stripe

from reconciler.emulator.state import DEFAULT_API_VERSION

NODE_TOOLS = Path(__file__).resolve().parents[2] / "tools" / "node"


def test_the_python_sdk_pins_the_emulators_version() -> None:
    assert stripe.api_version == DEFAULT_API_VERSION


def test_stripe_node_pins_the_emulators_version(node_tools: Path) -> None:
    source = (node_tools / "node_modules" / "stripe" / "cjs" / "apiVersion.js").read_text()
    found = re.search(r"exports\.ApiVersion = '([^']+)'", source)
    assert found is not None, "stripe-node's cjs/apiVersion.js no longer names ApiVersion"
    assert found[1] == DEFAULT_API_VERSION


def test_the_lockfile_pins_exact_versions_and_no_registry() -> None:
    manifest = json.loads((NODE_TOOLS / "package.json").read_text())
    lock = json.loads((NODE_TOOLS / "package-lock.json").read_text())
    for name in ("stripe", "typescript"):
        assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["dependencies"][name]), name
        assert (
            lock["packages"][f"node_modules/{name}"]["version"] == (manifest["dependencies"][name])
        )
    assert [path for path, entry in lock["packages"].items() if "resolved" in entry] == []
