"""Structured logs (structlog) to stderr: console lines by default, JSON when asked."""

from __future__ import annotations

import logging
import sys

import structlog

from adda_dashboard.db.outage import is_database_outage
from adda_dashboard.settings import Settings

# SQLAlchemy's pools log, with a stack trace, each connection they could not reset or close.
POOL_LOGGERS = ("sqlalchemy.pool.impl.QueuePool", "sqlalchemy.pool.impl.NullPool")


class OutageWithoutTraceback(logging.Filter):
    """A pooled connection the database dropped (stopped, restarted) as one warning line.

    After an outage each such connection fails its reset once; the trace says nothing the
    line does not, and the requests themselves are logged once per burst (``http/outage.py``).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and is_database_outage(error):
            first = (str(error).strip().splitlines() or [""])[0]
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {first}"
            record.args = None
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    for name in POOL_LOGGERS:
        pool_log = logging.getLogger(name)
        if not any(isinstance(f, OutageWithoutTraceback) for f in pool_log.filters):
            pool_log.addFilter(OutageWithoutTraceback())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
