"""Log lines of long-running commands (`reconciler serve`): plain text, or one JSON object per
line for log collectors (`--log-format json`)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    """A record as one JSON object on one line: time (UTC, ISO 8601 with milliseconds), level,
    logger, message, and the traceback as text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    """INFO and above to stderr, as text or JSON; with JSON, loggers with handlers of their own
    (the retry lines of `reconciler.retry`) write JSON too."""
    logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)
    if log_format != "json":
        return
    formatter = JsonFormatter()
    names = list(logging.root.manager.loggerDict)
    for logger in [logging.getLogger(), *map(logging.getLogger, names)]:
        for handler in logger.handlers:
            handler.setFormatter(formatter)


def json_logging() -> bool:
    """Whether `configure_logging("json")` set this process's log lines to JSON."""
    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)


def error_line(message: str, plain_prefix: str = "error: ") -> str:
    """The line that reports a command's failure: `plain_prefix` and the message, or, once
    the command chose JSON logs, one JSON record (level "error") like its other lines."""
    if not json_logging():
        return plain_prefix + message
    failed = logging.LogRecord("reconciler", logging.ERROR, __file__, 0, message, (), None)
    return JsonFormatter().format(failed)
