"""Put a file's top-level entries into another YAML file's text, keeping the rest of it.

`reconciler import --force` rewrites `reconciler.yaml` with what the catalog defines (the
metadata prefixes) and must keep what it does not: `default_plan`, `urls`, `default_limits`,
`environments` and every comment. The file is edited as text at the positions the parser
gives (one top-level entry at a time), so untouched lines stay byte for byte.
"""

from __future__ import annotations

from typing import Any

from reconciler.plans.yamldoc import YamlSyntaxError, parse_yaml

Blocks = dict[str, tuple[int, int]]
MODELINE = "# yaml-language-server:"


def _blocks(text: str) -> tuple[Blocks, dict[str, Any]] | None:
    """Top-level key -> its entry's lines [first, end) in a block mapping; None when the
    text is not a block mapping whose keys start at column 1 (flow style, a list, bad YAML).
    Comments and blank lines at column 1 before the next key belong to that next key."""
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError:
        return None
    if doc is None or not isinstance(doc.data, dict):
        return None
    starts = sorted(
        (line - 1, column, str(path[0]))
        for path, (line, column) in doc.key_positions.items()
        if len(path) == 1
    )
    if any(column != 1 for _, column, _ in starts):
        return None
    lines = text.splitlines(keepends=True)
    blocks: Blocks = {}
    for i, (first, _, key) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(lines)
        while end > first + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1
        blocks[key] = (first, end)
    return blocks, doc.data


def merge_entries(existing: str, new: str) -> str | None:
    """`existing` with each top-level entry of `new` replacing the entry of the same key (or
    appended when it has none), and `new`'s editor modeline replacing the first line when
    both start with one; None when either text cannot be edited that way."""
    old, fresh = _blocks(existing), _blocks(new)
    if old is None or fresh is None:
        return None
    (old_blocks, old_data), (new_blocks, new_data) = old, fresh
    lines = existing.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    changed = [k for k in old_blocks.keys() & new_blocks.keys() if old_data[k] != new_data[k]]
    # From the bottom up, so the line numbers of entries above stay valid.
    for key in sorted(changed, key=lambda k: -old_blocks[k][0]):
        first, end = old_blocks[key]
        new_first, new_end = new_blocks[key]
        lines[first:end] = new_lines[new_first:new_end]
    if lines and lines[0].startswith(MODELINE) and new_lines[0].startswith(MODELINE):
        lines[0] = new_lines[0]  # the editor's schema is where this import wrote it
    for key in [k for k in new_blocks if k not in old_blocks]:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        new_first, new_end = new_blocks[key]
        lines += new_lines[new_first:new_end]
    return "".join(lines)
