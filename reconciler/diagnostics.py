"""Located problems found in plan files, shown together as `FILE:LINE:COL: path: message`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one place. Lines and columns are 1-based; `path` is the place in the
    document (`prices[0].amount`), empty for problems with the whole file."""

    file: str
    line: int
    column: int
    path: str
    message: str
    severity: Severity = "error"

    def format(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}:"
        label = "warning: " if self.severity == "warning" else ""
        if self.path:
            return f"{where} {self.path}: {label}{self.message}"
        return f"{where} {label}{self.message}"

    def workflow_command(self) -> str:
        """The problem as a GitHub Actions workflow command (`::error file=...,line=...,col=...::
        message`), which GitHub shows as an annotation on that line of the pull request."""
        properties = ",".join(
            f"{name}={_escape_property(str(value))}"
            for name, value in (("file", self.file), ("line", self.line), ("col", self.column))
        )
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"::{self.severity} {properties}::{_escape_data(text)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "severity": self.severity,
            "message": self.message,
        }


# GitHub reads a workflow command up to the end of the line, its properties up to `,` and `::`:
# those characters are percent-encoded, as GitHub's own toolkit does (@actions/core, `issue`).
def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_warning(title: str, message: str) -> str:
    """A GitHub Actions warning annotation that names no file (`::warning title=...::...`)."""
    return f"::warning title={_escape_property(title)}::{_escape_data(message)}"


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def format_path(parts: tuple[str | int, ...]) -> str:
    """`("prices", 0, "amount")` -> `prices[0].amount`; keys that are not plain words are quoted."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.replace("-", "").replace("_", "").isalnum():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text
