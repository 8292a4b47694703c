"""Engine and sessions for SQLite (embedded default) and PostgreSQL (psycopg 3, pooled)."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from adda_dashboard.db.outage import is_database_outage

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_S = 5


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def build_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, echo: bool = False
) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=max_overflow,
        )
        _configure_sqlite(engine)
        return engine
    # Back by itself after an outage or a restart: every pooled connection is tested when
    # taken (a dead one is replaced, and the pool drops the others opened before it), and a
    # host that does not answer fails a connection in seconds, not the system's two minutes.
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": PG_CONNECT_S}
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args=connect_args,
    )


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for writing transactions.

    pysqlite's own transaction handling starts a deferred transaction, which fails with
    "database is locked" when two processes upgrade a read lock to a write lock at once. We take
    over BEGIN (the recipe in SQLAlchemy's SQLite notes) so that writers queue on the lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class WriterTurns:
    """One SQLite writer at a time across threads and processes, the others queued in the OS.

    SQLite lets one connection write at a time; a writer that finds the database locked polls,
    sleeping 1, 2, 5 ... up to 100 ms between tries, and keeps losing to writers that arrive
    between its naps: at 70 writes a second over two workers, half the writes waited more than
    half a second. Here each writer first takes a thread lock (threads of one process share one
    file description, on which ``flock`` would not exclude them) and then an ``flock`` on a file
    beside the database, both of which wake the next waiter as soon as they are released.
    """

    def __init__(self, database_file: str) -> None:
        self._path = database_file + ".writer"
        self._threads = threading.Lock()
        self._mine = threading.local()
        self._fd: int | None = None
        self._fd_pid = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        if getattr(self._mine, "held", False):
            # SQLite would refuse it too (the outer transaction holds the write lock).
            raise RuntimeError("a write transaction inside another one on the same thread")
        with self._threads:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._mine.held = True
            try:
                yield
            finally:
                self._mine.held = False
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _file(self) -> int:
        if self._fd is None or self._fd_pid != os.getpid():  # a forked worker opens its own
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            self._fd_pid = os.getpid()
        return self._fd


class Database:
    """The engine and a session factory; services open units of work through it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(engine, expire_on_commit=False, autoflush=False)
        # Called with ``session.info`` after each successful commit (e.g. to publish versions).
        self.after_commit: list[Callable[[dict[str, Any]], None]] = []
        # Copied into ``session.info`` of every writing session: switches the composition root
        # sets once (e.g. the spreadsheet mirror's), read by the repositories that honour them.
        self.write_flags: dict[str, Any] = {}
        database_file = engine.url.database if self.is_sqlite else None
        self._writers = (
            WriterTurns(database_file) if database_file and database_file != ":memory:" else None
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries only; rolled back at the end."""
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._writer_turn(), self._sessions() as session:
            if self.is_sqlite:
                session.connection(execution_options={"sqlite_immediate": True})
            session.info.update(self.write_flags)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            info = session.info
        for hook in self.after_commit:  # after the writer's turn: the next one may start
            hook(info)

    def _writer_turn(self) -> AbstractContextManager[None]:
        return self._writers.turn() if self._writers is not None else nullcontext()

    def dispose(self) -> None:
        self.engine.dispose()


def fetch_plain(engine: Engine, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one read on a pooled DBAPI connection and return plain tuples.

    For the few queries that run on every request or every dataset change, where building
    SQLAlchemy rows costs several times the query itself. ``{p}`` in ``sql`` stands for the
    driver's placeholder (``?`` for sqlite3, ``%s`` for psycopg).
    """
    placeholder = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        cursor.execute(sql.format(p=placeholder), params)
        rows = cursor.fetchall()
        cursor.close()
    except Exception as exc:
        # The driver's own error, which SQLAlchemy never saw: a connection the server dropped
        # is closed here rather than returned to the pool (whose reset would fail on it).
        if is_database_outage(exc):
            conn.invalidate(exc)
        raise
    finally:
        conn.close()
    return [tuple(row) for row in rows]
