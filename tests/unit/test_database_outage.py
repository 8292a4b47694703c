"""Which database errors are an outage (answered 503, retry later) and which stay a 500, told
apart on the errors the drivers and SQLAlchemy really raise; and the pool's lost connections
logged as one line, without a trace."""

from __future__ import annotations

import logging
import sqlite3

import psycopg
import pytest
from psycopg import errors as pg_errors
from sqlalchemy import exc as sa_exc

from adda_dashboard.db.outage import OUTAGE_CANDIDATES, is_database_outage
from adda_dashboard.logging_setup import OutageWithoutTraceback


def wrapped(kind: type[sa_exc.DBAPIError], orig: BaseException) -> sa_exc.DBAPIError:
    return kind("SELECT 1", {}, orig)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("connection failed: Connection refused"),  # no SQLSTATE
        pg_errors.AdminShutdown(),  # 57P01: pg_ctl stop -m fast
        pg_errors.CannotConnectNow(),  # 57P03: starting up or shutting down
        pg_errors.TooManyConnections(),  # 53300
        wrapped(sa_exc.OperationalError, psycopg.OperationalError("server closed the connection")),
        sa_exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True),
        sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("unable to open database file"),
        wrapped(sa_exc.OperationalError, sqlite3.OperationalError("database is locked")),
    ],
    ids=lambda error: type(error).__name__,
)
def test_unreachable_or_restarting_database_is_an_outage(error: BaseException) -> None:
    assert is_database_outage(error)
    assert isinstance(error, OUTAGE_CANDIDATES)  # a handler is registered for its class


@pytest.mark.parametrize(
    "error",
    [
        wrapped(sa_exc.IntegrityError, pg_errors.UniqueViolation()),
        wrapped(sa_exc.ProgrammingError, pg_errors.UndefinedTable()),
        pg_errors.QueryCanceled(),  # a statement timeout: the query's fault, not the server's
        sqlite3.OperationalError("no such table: entries"),
        wrapped(sa_exc.OperationalError, sqlite3.OperationalError("no such column: x")),
        ValueError("not a database error at all"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_other_database_errors_are_not_an_outage(error: BaseException) -> None:
    assert not is_database_outage(error)


def pool_record(error: BaseException) -> logging.LogRecord:
    return logging.LogRecord(
        "sqlalchemy.pool.impl.QueuePool",
        logging.ERROR,
        __file__,
        1,
        "Exception during reset or similar",
        None,
        (type(error), error, None),
    )


def test_a_pooled_connection_lost_in_an_outage_is_logged_as_one_line() -> None:
    record = pool_record(psycopg.OperationalError("consuming input failed: server closed"))
    assert OutageWithoutTraceback().filter(record)
    assert record.exc_info is None and record.levelno == logging.WARNING
    assert record.getMessage() == (
        "Exception during reset or similar: OperationalError: consuming input failed: server closed"
    )


def test_other_pool_errors_keep_their_traceback() -> None:
    record = pool_record(ValueError("a bug"))
    assert OutageWithoutTraceback().filter(record)
    assert record.exc_info is not None and record.levelno == logging.ERROR
