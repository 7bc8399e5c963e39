"""YAML documents that remember where every value came from, and refuse duplicate keys.

PyYAML's composer gives nodes with marks; we build plain Python values from them and keep a
map from each value's path to its (line, column), plus the position of each mapping key, so a
schema error on `prices[1].amount` points at that node in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
Position = tuple[int, int]


@dataclass
class YamlDocument:
    """A parsed file: its data, value and key positions (1-based), and duplicate keys found."""

    data: Any
    positions: dict[Path, Position] = field(default_factory=dict)
    key_positions: dict[Path, Position] = field(default_factory=dict)
    duplicates: list[tuple[Path, Position, Position]] = field(default_factory=list)

    def locate(self, path: Path) -> Position:
        """The position of the value at `path`, or of its nearest ancestor that has one."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))

    def locate_key(self, path: Path) -> Position:
        """The position of the key that names `path` (falls back to the value)."""
        return self.key_positions.get(path) or self.locate(path)


class YamlSyntaxError(Exception):
    """Malformed YAML, with the place the parser stopped at."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def _mark(node: yaml.Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self) -> None:
        self.doc = YamlDocument(data=None)
        self._constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.positions[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        self._constructor.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self._constructor.construct_object(key_node, deep=True)
            if isinstance(key, bool):
                key = "true" if key else "false"
            elif not isinstance(key, str):
                key = str(key)
            child: Path = (*path, key)
            if key in result:
                first = self.doc.key_positions[child]
                self.doc.duplicates.append((child, first, _mark(key_node)))
                continue
            self.doc.key_positions[child] = _mark(key_node)
            result[key] = self.build(value_node, child)
        return result


def parse_yaml(text: str) -> YamlDocument | None:
    """Parse one YAML document; None when it holds nothing (empty or only comments)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        if exc.context and "expected a single document" in exc.context:
            problem = "more than one YAML document in the file; write one per file"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(f"invalid YAML: {problem}", line, column) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", 1, 1) from exc
    if node is None:
        return None
    builder = _Builder()
    try:
        builder.doc.data = builder.build(node, ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(f"invalid YAML: {exc.problem}", line, column) from exc
    return builder.doc
