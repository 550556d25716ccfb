"""Structured logging: every log line is an event with key/value context.

Conveyor logs through structlog on top of the standard library, so lines from
uvicorn, Alembic and SQLAlchemy come out in the same shape as ours: JSON lines
when the output is not a terminal (or ``CONVEYOR_LOG_FORMAT=json``), readable
colourless console lines otherwise. Logs go to stderr, so a command's stdout
stays clean for what scripts capture (``conveyor token create``). Values bound
with ``bind_contextvars`` (the request id) appear on every line of a request.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

_HANDLER_NAME = "conveyor"


class _CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time of the record.

    Test runners and CLI runners swap ``sys.stderr``; a handler that kept the
    stream from configuration time would write to a closed file.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _wants_json(log_format: str) -> bool:
    if log_format == "auto":
        return not sys.stderr.isatty()
    return log_format == "json"


def configure_logging(level: str = "INFO", log_format: str = "auto") -> None:
    """Route structlog and standard-library logging to stderr; safe to call again."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if _wants_json(log_format)
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = _CurrentStderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn.access: our middleware logs each request once, with its request id.
    # alembic.runtime.migration: chatty on every revision check; schema.upgrade logs migrations.
    for noisy in ("uvicorn.access", "alembic.runtime.migration", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    """A structlog logger; call ``.info("event", key=value)`` on it."""
    return structlog.stdlib.get_logger(name)
