"""The body of ``GET /api/data`` rebuilt from each entry's serialized record, kept per process.

Every write changes the dataset version, and every worker then rebuilds the list for it. Reading,
shaping and serializing every live entry again cost ~13 ms each time, though a write changes one
row. Here each entry's JSON record is kept under its (id, version, updated_at); a rebuild reads
only those keys of the live rows in the listing order, reads in full only the rows whose key is
new, and joins the bytes. ``orjson`` writes a ``Fragment`` as it is, so the document serializes
to the very bytes of ``EntryService.legacy_list``.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
from sqlalchemy import Engine

from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.records import legacy_records

# Past this share of changed rows one full read is cheaper than the keys plus the changed rows.
FULL_READ_SHARE = 0.25
_ID, _VERSION, _UPDATED, _STATUS = 0, 1, 2, 3
_KEYED = entries_repo.KEYED_LISTING_ATTRIBUTES
_KEYED_ID = _KEYED.index("id")
_KEYED_VERSION = _KEYED.index("version")
_KEYED_UPDATED = _KEYED.index("updated_at")
_KEYED_STATUS = _KEYED.index("edit_status")
_FINAL = c.EditStatus.final.value  # what ``legacy_list`` counts as Final (an exact match)


class ListingFragments:
    """Serialized legacy records of the live entries: id -> (version, updated_at, JSON bytes).

    Bounded by the live entries: a rebuild drops the rows that left the list.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._records: dict[int, tuple[Any, Any, bytes]] = {}
        self._lock = threading.Lock()

    def document(self) -> dict[str, Any]:
        """The legacy list's envelope, its ``data`` an ``orjson.Fragment`` of the records."""
        with self._lock:
            return self._document()

    def _document(self) -> dict[str, Any]:
        keys = entries_repo.listing_keys(self._engine)
        known = self._records
        changed = {}
        for key in keys:
            record = known.get(key[_ID])
            if record is None or record[0] != key[_VERSION] or record[1] != key[_UPDATED]:
                changed[key[_ID]] = key
        if len(changed) > FULL_READ_SHARE * len(keys):
            return self._from_full_read()
        if changed:
            fresh = self._serialize(entries_repo.keyed_listing_tuples_of(self._engine, [*changed]))
            for entry_id, key in changed.items():
                record = fresh.get(entry_id)
                if record is None or record[0] != key[_VERSION] or record[1] != key[_UPDATED]:
                    # The row changed again between the two reads: one consistent read instead.
                    return self._from_full_read()
            known.update(fresh)
        if len(known) > len(keys):
            known = {key[_ID]: known[key[_ID]] for key in keys}
        self._records = known
        return _envelope([known[key[_ID]][2] for key in keys], [key[_STATUS] for key in keys])

    def _from_full_read(self) -> dict[str, Any]:
        rows = entries_repo.keyed_listing_tuples(self._engine)
        fresh = self._serialize(rows)
        self._records = fresh
        parts = [fresh[row[_KEYED_ID]][2] for row in rows]
        return _envelope(parts, [row[_KEYED_STATUS] for row in rows])

    @staticmethod
    def _serialize(rows: list[tuple[Any, ...]]) -> dict[int, tuple[Any, Any, bytes]]:
        records = legacy_records(rows, _KEYED)
        return {
            row[_KEYED_ID]: (row[_KEYED_VERSION], row[_KEYED_UPDATED], orjson.dumps(record))
            for row, record in zip(rows, records, strict=True)
        }


def _envelope(parts: list[bytes], statuses: list[str]) -> dict[str, Any]:
    """The keys, order and counts of ``EntryService.legacy_list``."""
    final = statuses.count(_FINAL)
    return {
        "success": True,
        "data": orjson.Fragment(b"[" + b",".join(parts) + b"]"),
        "count": len(parts),
        "finalCount": final,
        "reEditCount": len(parts) - final,
    }
