"""Telling "the database is unreachable or restarting" apart from every other database error.

An outage is the server's circumstance, not the request's fault: the same request succeeds once
the database is back, so it is answered 503 with a ``Retry-After`` rather than a 500. Anything
else a query raises (a bug, a constraint the code did not expect) stays a 500.

The errors arrive in several shapes: SQLAlchemy's wrapper (``OperationalError``, or any
``DBAPIError`` flagged ``connection_invalidated``), its pool timeout, and the driver's own
errors from the lean reads that use a raw pooled connection (``db/engine.py: fetch_plain``).
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc

try:  # the PostgreSQL driver is only needed, and only present, where PostgreSQL is used
    import psycopg
except ImportError:  # pragma: no cover
    psycopg = None  # type: ignore[assignment]

# The SQLSTATE classes of a connection lost or refused, or a server that is going away or
# starting: 08 connection exceptions, 57P01-57P04 shutdowns and "cannot connect now", 53
# insufficient resources (e.g. too many connections).
_OUTAGE_SQLSTATES = ("08", "57P", "53")
# SQLite's words for a database it cannot reach: locked past the busy timeout, or not openable.
_SQLITE_OUTAGE_WORDS = ("database is locked", "database is busy", "unable to open database")

# Every exception class an outage can arrive as, for handlers registered per class.
OUTAGE_CANDIDATES: tuple[type[BaseException], ...] = (
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    sqlite3.OperationalError,
    *((psycopg.OperationalError,) if psycopg is not None else ()),
)


def is_database_outage(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached now (see the module docstring)."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        return error.orig is not None and _driver_outage(error.orig)
    return _driver_outage(error)


def _driver_outage(error: BaseException) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        text = str(error).lower()
        return any(words in text for words in _SQLITE_OUTAGE_WORDS)
    if psycopg is not None and isinstance(error, psycopg.OperationalError):
        sqlstate = error.sqlstate
        # No SQLSTATE: the client's side failed (refused, reset, closed), not a query.
        return sqlstate is None or sqlstate.startswith(_OUTAGE_SQLSTATES)
    return False
