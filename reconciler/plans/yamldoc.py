"""YAML documents that remember where every value came from, and refuse duplicate keys.

PyYAML's parser gives events with marks; we build plain Python values from them by YAML 1.2
rules (`yaml12`) and keep a map from each value's path to its (line, column), plus the
position of each mapping key, so a schema error on `prices[1].amount` points at that node.
The builder is iterative and bounded, so a hostile file is a located error, not a crash: at
most MAX_DEPTH levels of nesting and MAX_VALUES values with aliases expanded; an alias to
the node that contains it is refused. `<<` is an ordinary key, as in YAML 1.2.

Events come from libyaml (PyYAML's C parser, in its wheels) when present: the pure-Python
parser needs seconds for a 1 MB file, libyaml a few milliseconds.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.plans import yaml12

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


LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 64
MAX_VALUES = 20_000
_DUPLICATE = "\x00duplicate"  # the path prefix of a duplicate key's value, which is dropped


def _at(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1)


@dataclass
class _Anchored:
    """An anchored value: what an alias to it copies, with positions relative to it."""

    value: Any
    entries: list[tuple[bool, Path, Position]]
    size: int


@dataclass
class _Open:
    """A mapping or sequence being built."""

    value: dict[str, Any] | list[Any]
    path: Path
    anchor: str | None
    log_start: int
    values_start: int
    key: str | None = None  # a mapping's key waiting for its value
    drop: bool = False  # that key is a duplicate: its value is parsed, then dropped


class _Builder:
    def __init__(self) -> None:
        self.doc = YamlDocument(data=None)
        self.stack: list[_Open] = []
        self.anchors: dict[str, _Anchored] = {}
        # Every position recorded, in order: an anchored collection's are a slice of it.
        self.log: list[tuple[bool, Path, Position]] = []
        self.values = 0
        self.documents = 0

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _error(
                    "invalid YAML: more than one YAML document in the file; write one per file",
                    event.start_mark,
                )
        elif isinstance(event, yaml.ScalarEvent):
            self._scalar(event)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._open(event)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self._close()

    # Positions and bounds ----------------------------------------------------------------

    def _place(self, path: Path, position: Position, key: bool = False) -> None:
        (self.doc.key_positions if key else self.doc.positions)[path] = position
        self.log.append((key, path, position))

    def _count(self, values: int, mark: Any) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            raise _error(
                f"more than {MAX_VALUES} values, aliases expanded (a plan file needs far fewer)",
                mark,
            )

    def _wants_key(self) -> bool:
        return (
            bool(self.stack)
            and isinstance(self.stack[-1].value, dict)
            and (self.stack[-1].key is None)
        )

    def _child_path(self) -> Path:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        assert top.key is not None
        return (_DUPLICATE, self.values) if top.drop else (*top.path, top.key)

    # Events ------------------------------------------------------------------------------

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        if event.tag is None and event.implicit[0]:
            tag = yaml12.resolve(event.value)
        elif event.tag in (None, "!"):
            tag = yaml12.STR
        else:
            tag = event.tag
        try:
            value = yaml12.construct(tag, event.value)
        except yaml12.ScalarError as exc:
            raise _error(str(exc), event.start_mark) from exc
        if self._wants_key():
            self._key(value, event.start_mark)
            return
        position = _at(event.start_mark)
        self._count(1, event.start_mark)
        path = self._child_path()
        self._place(path, position)
        if event.anchor:
            self.anchors[event.anchor] = _Anchored(value, [(False, (), position)], 1)
        self._attach(value)

    def _open(self, event: yaml.MappingStartEvent | yaml.SequenceStartEvent) -> None:
        mapping = isinstance(event, yaml.MappingStartEvent)
        if event.tag not in (None, "!", yaml12.MAP if mapping else yaml12.SEQ):
            raise _error(
                f"unsupported tag {event.tag!r} (plan files use plain YAML 1.2 values)",
                event.start_mark,
            )
        if self._wants_key():
            raise _error(
                "invalid YAML: a mapping key must be a plain value, not a list or mapping",
                event.start_mark,
            )
        if len(self.stack) >= MAX_DEPTH:
            raise _error(
                f"lists and mappings nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        self._count(1, event.start_mark)
        path = self._child_path()
        self._place(path, _at(event.start_mark))
        container: dict[str, Any] | list[Any] = {} if mapping else []
        self.stack.append(_Open(container, path, event.anchor, len(self.log) - 1, self.values - 1))

    def _close(self) -> None:
        done = self.stack.pop()
        if done.anchor:
            cut = len(done.path)
            entries = [(k, p[cut:], at) for k, p, at in self.log[done.log_start :]]
            self.anchors[done.anchor] = _Anchored(
                done.value, entries, self.values - done.values_start
            )
        self._attach(done.value)

    def _alias(self, event: yaml.AliasEvent) -> None:
        name = str(event.anchor)
        if any(frame.anchor == name for frame in self.stack):
            raise _error(
                f"alias *{name} refers to the node that contains it (a recursive alias)",
                event.start_mark,
            )
        anchored = self.anchors.get(name)
        if anchored is None:
            raise _error(f"invalid YAML: found undefined alias {name!r}", event.start_mark)
        if self._wants_key():
            if isinstance(anchored.value, dict | list):
                raise _error(
                    "invalid YAML: a mapping key must be a plain value, not a list or mapping",
                    event.start_mark,
                )
            self._key(anchored.value, event.start_mark)
            return
        self._count(anchored.size, event.start_mark)
        path = self._child_path()
        self._place(path, _at(event.start_mark))
        for is_key, relative, position in anchored.entries[1:]:
            self._place((*path, *relative), position, is_key)
        self._attach(copy.deepcopy(anchored.value))

    def _key(self, value: Any, mark: Any) -> None:
        if isinstance(value, bool):
            key = "true" if value else "false"
        elif value is None:
            key = "null"
        else:
            key = str(value)
        top = self.stack[-1]
        assert isinstance(top.value, dict)
        child: Path = (*top.path, key)
        top.key = key
        top.drop = key in top.value
        if top.drop:
            self.doc.duplicates.append((child, self.doc.key_positions[child], _at(mark)))
        else:
            self._place(child, _at(mark), key=True)

    def _attach(self, value: Any) -> None:
        if not self.stack:
            self.doc.data = value
            return
        top = self.stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
            return
        assert top.key is not None
        if not top.drop:
            top.value[top.key] = value
        top.key, top.drop = None, False


def _error(message: str, mark: Any) -> YamlSyntaxError:
    line, column = _at(mark)
    return YamlSyntaxError(message, line, column)


def parse_yaml(text: str) -> YamlDocument | None:
    """Parse one YAML document; None when it holds nothing (empty or only comments)."""
    builder = _Builder()
    try:
        for event in yaml.parse(text, Loader=LOADER):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _at(mark) if mark else (1, 1)
        problem = exc.problem or str(exc)
        if problem == "found character that cannot start any token":
            # libyaml does not say which character; the pure-Python parser did.
            found = text.splitlines()[line - 1][column - 1 : column]
            problem = f"found character {found!r} that cannot start any token"
        raise YamlSyntaxError(f"invalid YAML: {problem}", line, column) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", 1, 1) from exc
    if builder.documents == 0:
        return None
    return builder.doc
