"""The live entries, kept by each process in the legacy order and in step with the database.

Every write changes the dataset version, and every worker then rebuilds ``/api/data``, the
leaderboard and the filters for it. Reading every live entry again for each of them cost more
than the answers themselves, though a write changes one row. Every write stamps the rows it
wrote with its dataset version (``Entry.changed_in``), so this copy reads the counter and, when
it moved, only the rows stamped after the version it holds; the three answers are then computed
from memory. Each entry's JSON record is kept with it, and the list is handed out as pieces (a
piece starts at each entry whose id is a multiple of ``PIECE_EVERY``), so its gzip is rebuilt
from the pieces that changed (``services/piecewise_gzip.py``).

A full read replaces the copy on first use, when the counter goes back (another database), and
at least every ``full_read_every_s`` seconds, the same upper bound the cached answers have.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable
from itertools import chain
from operator import itemgetter
from typing import Any, Protocol, TypeVar

import orjson

from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.db.repositories import gate as gate_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain import leaderboard
from adda_dashboard.domain.records import legacy_records

T = TypeVar("T")
PIECE_EVERY = 64  # about 24 KB of JSON a piece
_ATTRS = entries_repo.LISTING_ATTRIBUTES
_ID = _ATTRS.index("id")
_STATUS = _ATTRS.index("edit_status")
_FINAL = c.EditStatus.final.value  # what ``legacy_list`` counts as Final (an exact match)
_LEADERBOARD = itemgetter(*(_ATTRS.index(a) for a in entries_repo.LEADERBOARD_ATTRIBUTES))
_FILTER_AT = tuple(_ATTRS.index(a) for a in entries_repo.FINAL_FILTER_COLUMNS)
_DATA_MARK = b'"data":[]'


class Reads(Protocol):
    def run(self, read: Callable[[Any], T]) -> T: ...


class LiveEntries:
    def __init__(self, reads: Reads, *, full_read_every_s: float = 300.0) -> None:
        self._reads = reads
        self._full_read_every_s = full_read_every_s
        self._lock = threading.Lock()
        self._rows: dict[int, tuple[Any, ...]] = {}  # id -> its ``LISTING_ATTRIBUTES``
        self._records: dict[int, bytes] = {}  # id -> its legacy record's JSON
        self._board: dict[int, leaderboard.Prepared] = {}  # id -> what the leaderboard reads
        self._tally = leaderboard.Tally()
        # Per filter column, how many live Final entries hold each value: kept up to date row
        # by row, so the filters are the keys.
        self._final_values: list[Counter[str]] = [Counter() for _ in _FILTER_AT]
        # Ids by status, each list ascending; the legacy order is the statuses in order, each
        # by id (Final first). Kept in place as rows come and go, joined when asked for.
        self._by_status: dict[str, list[int]] = {}
        self._joined: list[int] | None = []
        self._pieces: dict[tuple[bytes, ...], bytes] = {}  # records of a piece -> the piece
        self._version = -1
        self._full_read_at = 0.0

    # What the answers are computed from ------------------------------------------------------

    def listing_pieces(self) -> list[bytes]:
        """The bytes of ``EntryService.legacy_list`` serialized, as consecutive pieces."""
        with self._lock:
            self._sync()
            records, order = self._records, self._order
            final = len(self._by_status.get(_FINAL, ()))
            head, tail = _envelope(len(order), final)
            pieces, kept, group = [head], {}, []
            for entry_id in order:
                if group and entry_id % PIECE_EVERY == 0:
                    pieces.append(self._piece(tuple(group), len(pieces) == 1, kept))
                    group = []
                group.append(records[entry_id])
            if group:
                pieces.append(self._piece(tuple(group), len(pieces) == 1, kept))
            pieces.append(tail)
            self._pieces = kept
            return pieces

    def leaderboard(self) -> dict[str, Any]:
        """The leaderboard answer, from counts kept up to date row by row."""
        with self._lock:
            self._sync()
            if self._tally.stale:
                self._tally_all()
            return self._tally.board()

    def final_filter_values(self) -> list[list[str]]:
        """The distinct non-empty values of Final entries, per ``FINAL_FILTER_COLUMNS``."""
        with self._lock:
            self._sync()
            return [[value for value in held if value != ""] for held in self._final_values]

    def forget(self) -> None:
        """Start over with a full read (the database was emptied or replaced under us)."""
        with self._lock:
            self._version = -1

    # Keeping in step -------------------------------------------------------------------------

    def _sync(self) -> None:
        version = self._reads.run(gate_repo.dataset_version)
        now = time.monotonic()
        if (
            self._version < 0
            or version < self._version
            or now - self._full_read_at >= self._full_read_every_s
        ):
            self._replace(self._reads.run(entries_repo.listing_tuples), version, now)
            return
        if version == self._version:
            return
        since = self._version
        changed = self._reads.run(lambda engine: entries_repo.rows_changed_since(engine, since))
        self._apply(changed)
        # Rows written after ``version`` may be in ``changed`` too: read again next time, they
        # only make this copy newer than the version it is labelled with, never older.
        self._version = version

    @property
    def _order(self) -> list[int]:
        if self._joined is None:
            groups = self._by_status
            self._joined = list(chain.from_iterable(groups[s] for s in sorted(groups)))
        return self._joined

    def _join(self, status: str, entry_id: int) -> None:
        ids = self._by_status.setdefault(status, [])
        if not ids or ids[-1] < entry_id:
            ids.append(entry_id)  # a new entry: the highest id so far
        else:
            insort(ids, entry_id)
        self._joined = None

    def _leave(self, status: str, entry_id: int) -> None:
        ids = self._by_status[status]
        del ids[bisect_left(ids, entry_id)]
        if not ids:
            del self._by_status[status]
        self._joined = None

    def _replace(self, rows: list[tuple[Any, ...]], version: int, now: float) -> None:
        self._rows = {row[_ID]: row for row in rows}
        self._records = _serialize(rows)
        self._board = {row[_ID]: leaderboard.prepare(*_LEADERBOARD(row)) for row in rows}
        self._tally_all()
        self._final_values = [Counter() for _ in _FILTER_AT]
        for row in rows:
            self._count_values(row, 1)
        self._by_status = {}
        for row in rows:  # read by status, then id: each list comes out ascending
            self._by_status.setdefault(row[_STATUS], []).append(row[_ID])
        self._joined = None
        self._version = version
        self._full_read_at = now

    def _apply(self, changed: list[tuple[Any, ...]]) -> None:
        rows, records, board, tally = self._rows, self._records, self._board, self._tally
        live = []
        for changed_row in changed:
            row, is_live = changed_row[:-1], changed_row[-1]
            entry_id = row[_ID]
            before = rows.pop(entry_id, None)
            prepared = leaderboard.prepare(*_LEADERBOARD(row)) if is_live else None
            # Most edits leave what the leaderboard reads alone: its counts stay as they are.
            moved = before is None or before[_STATUS] != row[_STATUS]
            recount = moved or prepared != board.get(entry_id)
            if before is not None:
                self._count_values(before, -1)
                if recount:
                    tally.remove((before[_STATUS], entry_id), board[entry_id])
                del records[entry_id], board[entry_id]
                if not is_live or moved:
                    self._leave(before[_STATUS], entry_id)
            if prepared is not None:
                rows[entry_id] = row
                board[entry_id] = prepared
                if recount:
                    tally.add((row[_STATUS], entry_id), prepared)
                self._count_values(row, 1)
                if moved:
                    self._join(row[_STATUS], entry_id)
                live.append(row)
        records.update(_serialize(live))

    def _tally_all(self) -> None:
        tally = leaderboard.Tally()
        rows, board = self._rows, self._board
        for entry_id, prepared in board.items():
            tally.add((rows[entry_id][_STATUS], entry_id), prepared)
        self._tally = tally

    def _count_values(self, row: tuple[Any, ...], step: int) -> None:
        if row[_STATUS] != _FINAL:
            return
        for held, at in zip(self._final_values, _FILTER_AT, strict=True):
            held[row[at]] += step
            if held[row[at]] == 0:
                del held[row[at]]

    def _piece(
        self, records: tuple[bytes, ...], first: bool, kept: dict[tuple[bytes, ...], bytes]
    ) -> bytes:
        """The records joined, led by a comma unless first; the same bytes object while they
        recur, so the gzip of the list finds it again at no cost."""
        key = (b"", *records) if first else records
        piece = self._pieces.get(key)
        if piece is None:
            piece = (b"" if first else b",") + b",".join(records)
        kept[key] = piece
        return piece


def _serialize(rows: list[tuple[Any, ...]]) -> dict[int, bytes]:
    """Each row's JSON, copied to bytes of its own size: ``orjson.dumps`` keeps a 4 KB block
    behind every result, ten times a record, and these are kept for as long as the row is."""
    records = legacy_records(rows, _ATTRS)
    return {
        row[_ID]: memoryview(orjson.dumps(r)).tobytes()
        for row, r in zip(rows, records, strict=True)
    }


def _envelope(count: int, final: int) -> tuple[bytes, bytes]:
    """The bytes before and after the records: the keys, order and counts of ``legacy_list``."""
    document = orjson.dumps(
        {
            "success": True,
            "data": orjson.Fragment(b"[]"),
            "count": count,
            "finalCount": final,
            "reEditCount": count - final,
        }
    )
    cut = document.index(_DATA_MARK) + len(_DATA_MARK) - 1
    return document[:cut], document[cut:]
