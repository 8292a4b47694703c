"""Entries: the legacy list, add, update, delete, restore and history, with audit and versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import audit, counters
from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.entry_rules import (
    EDITABLE_COLUMNS,
    parse_fields,
    parse_version,
    validate_entry,
)
from adda_dashboard.domain.records import legacy_record, legacy_records, to_attributes, to_columns
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.domain.video_ids import video_id_for
from adda_dashboard.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from adda_dashboard.services.live_entries import LiveEntries
from adda_dashboard.services.snapshots import Pieces
from adda_dashboard.services.taxonomy import TaxonomyService

ENTITY = "entry"
# A plain legacy update re-reads and retries when another writer slipped in between.
LEGACY_UPDATE_ATTEMPTS = 5


def require_object(body: Any) -> Mapping[str, Any]:
    if not body:
        raise Invalid("No data provided", field="body")
    if not isinstance(body, Mapping):
        raise Invalid("The body must be a JSON object keyed by column names", field="body")
    return body


def bump_dataset_version(session: Session) -> int:
    """Every write bumps this in its own transaction, so caches keyed by it are never stale.

    The new value is left in ``session.info`` for the after-commit hooks that publish it.
    """
    version = counters.increment(session, counters.DATASET_VERSION)
    entries_repo.stamp_written(session, version)
    session.info["dataset_version"] = version
    return version


class EntryService:
    def __init__(self, db: Database, taxonomy: TaxonomyService, live: LiveEntries) -> None:
        self._db = db
        self._taxonomy = taxonomy
        self._live = live

    # Reads -------------------------------------------------------------------------------------

    def legacy_list(self) -> dict[str, Any]:
        """``GET /api/data`` without parameters: every live entry, Final first, then Re-edit."""
        rows = entries_repo.listing_tuples(self._db.engine)
        data = legacy_records(rows, entries_repo.LISTING_ATTRIBUTES)
        final = sum(1 for record in data if record[c.EDIT] == c.EditStatus.final)
        return {
            "success": True,
            "data": data,
            "count": len(data),
            "finalCount": final,
            "reEditCount": len(data) - final,
        }

    def legacy_list_pieces(self) -> Pieces:
        """``legacy_list`` serialized, from this process's copy of the live entries: a rebuild
        after a write reads and serializes only the changed rows. The pieces join into the very
        bytes of ``orjson.dumps(legacy_list())``."""
        return Pieces(self._live.listing_pieces())

    def get(self, entry_id: int) -> dict[str, Any]:
        with self._db.read() as session:
            row = entries_repo.get_by_id(session, entry_id)
        if row is None:
            raise NotFound(f"Entry {entry_id} not found", field="id")
        return legacy_record(row)

    def check_may_add(self, actor: Actor) -> None:
        """Refuse early, so a form is not shown to someone who could never submit it."""
        if not actor.can_write_entries:
            raise Forbidden("Your role may not add entries")

    def editable(self, actor: Actor, entry_id: int) -> dict[str, Any]:
        """A live entry's twelve columns whatever its status, with ``id`` and ``version``.

        An edit form needs the values a Re-edit record does not serve (``Editor Brief``,
        ``Final Edited Link``): sending them back blank would erase what is stored.
        """
        with self._db.read() as session:
            row = entries_repo.get_by_id(session, entry_id)
        if row is None:
            raise NotFound(f"Entry {entry_id} not found", field="id")
        if not actor.can_edit_entry_of(row.email):
            raise Forbidden(actor.refusal(Role.editor, "You may only edit your own entries"))
        return {
            c.SR_NO: str(row.sr_no),
            **to_columns(row),
            c.ID_KEY: row.id,
            c.VERSION_KEY: row.version,
        }

    def history(self, actor: Actor, entry_id: int) -> list[dict[str, Any]]:
        with self._db.read() as session:
            row = entries_repo.get_by_id(session, entry_id, include_deleted=True)
            if row is None or (row.deleted_at is not None and not actor.at_least(Role.admin)):
                raise NotFound(f"Entry {entry_id} not found", field="id")
            records = audit.list_for_entity(session, ENTITY, entry_id)
            return [
                {
                    "action": r.action,
                    "at": r.at.isoformat(),
                    "actor_email": r.actor_email,
                    "actor_id": r.actor_id,
                    "changes": r.changes,
                }
                for r in records
            ]

    # Writes ------------------------------------------------------------------------------------

    def add(self, actor: Actor, body: Any) -> dict[str, Any]:
        """Store a new entry; the server assigns its ``Sr no.`` atomically."""
        body = require_object(body)
        self.check_may_add(actor)
        values = parse_fields(body, allowed=EDITABLE_COLUMNS)
        if not values.get(c.EMAIL):
            values[c.EMAIL] = actor.email
        record = validate_entry(values, self._taxonomy.current)
        if not actor.may_credit(record[c.EMAIL]):
            raise Forbidden(
                actor.refusal(Role.editor, "You may only add entries under your own email"),
                field=c.EMAIL,
            )
        with self._db.write() as session:
            row = self.insert_validated(session, actor, record, sr_no=None)
        return legacy_record(row)

    def insert_validated(
        self, session: Session, actor: Actor, record: dict[str, str], *, sr_no: int | None
    ) -> Row[Any]:
        """Insert an already validated entry inside the caller's transaction."""
        if sr_no is None:
            sr_no = counters.increment(session, counters.SR_NO)
        attributes = to_attributes(record)
        row = entries_repo.insert(
            session, {**attributes, "sr_no": sr_no, "created_by_id": actor.user_id}
        )
        audit.append(
            session,
            entity=ENTITY,
            entity_id=row.id,
            action="create",
            actor=actor,
            changes={**record, c.SR_NO: str(sr_no)},
        )
        bump_dataset_version(session)
        return row

    def update(
        self, actor: Actor, entry_id: int, body: Any, *, if_match: int | None = None
    ) -> dict[str, Any]:
        """Change the given columns only; a stale version is refused instead of overwriting."""
        body = require_object(body)
        body_id = body.get(c.ID_KEY)
        if body_id is not None and (isinstance(body_id, bool) or not isinstance(body_id, int)):
            raise Invalid(f"'{c.ID_KEY}' must be a whole number", field=c.ID_KEY)
        if body_id is not None and body_id != entry_id:
            raise Conflict(
                f"The body is entry {body_id!r} but the URL names entry {entry_id}", field="id"
            )
        body_version = parse_version(body)
        values = parse_fields(body, allowed=EDITABLE_COLUMNS)
        expected = if_match if if_match is not None else body_version
        for _ in range(LEGACY_UPDATE_ATTEMPTS):
            with self._db.write() as session:
                current = entries_repo.get_by_id(session, entry_id)
                if current is None:
                    raise NotFound(f"Entry {entry_id} not found", field="id")
                self._check_version(current, expected, header=if_match is not None)
                if not actor.can_edit_entry_of(current.email):
                    raise Forbidden(
                        actor.refusal(Role.editor, "You may only edit your own entries")
                    )
                changes = self._changes(actor, current, values)
                if not changes:
                    return legacy_record(current)
                row = entries_repo.update_if_version(
                    session,
                    entry_id,
                    to_attributes({col: new for col, (_old, new) in changes.items()}),
                    current.version,
                )
                if row is None:  # changed between our read and our write: read again
                    continue
                audit.append(
                    session,
                    entity=ENTITY,
                    entity_id=entry_id,
                    action="update",
                    actor=actor,
                    changes={col: {"from": old, "to": new} for col, (old, new) in changes.items()},
                )
                bump_dataset_version(session)
                return legacy_record(row)
        raise Conflict("The entry is being changed by others; try again", field="id")

    def _check_version(self, current: Row[Any], expected: int | None, *, header: bool) -> None:
        if expected is None or expected == current.version:
            return
        message = (
            f"Entry {current.id} was changed by someone else (version {current.version}, "
            f"you sent {expected}); reload it and apply your change again"
        )
        error = PreconditionFailed if header else Conflict
        raise error(message, field="version", extra={"current": legacy_record(current)})

    def _changes(
        self, actor: Actor, current: Row[Any], values: dict[str, str]
    ) -> dict[str, tuple[str, str]]:
        before = to_columns(current)
        merged = {**before, **values}
        if c.VIDEO_ID not in values and (
            merged[c.VIDEO_LINK] != before[c.VIDEO_LINK] or merged[c.EDIT] != before[c.EDIT]
        ):
            merged[c.VIDEO_ID] = video_id_for(merged[c.VIDEO_LINK], merged[c.EDIT])
        after = validate_entry(merged, self._taxonomy.current)
        if after[c.EMAIL] != before[c.EMAIL] and not actor.may_credit(after[c.EMAIL]):
            raise Forbidden(
                actor.refusal(Role.editor, "You may not credit an entry to another contributor"),
                field=c.EMAIL,
            )
        return {col: (before[col], after[col]) for col in after if after[col] != before[col]}

    def delete(self, actor: Actor, entry_id: int, *, if_match: int | None = None) -> None:
        """Soft delete: the row leaves every list until it is restored.

        A write that commits between our read and our delete (PostgreSQL reads without locking)
        makes us read again, so a delete without ``If-Match`` is not refused for it.
        """
        for _ in range(LEGACY_UPDATE_ATTEMPTS):
            with self._db.write() as session:
                current = entries_repo.get_by_id(session, entry_id)
                if current is None:
                    raise NotFound(f"Entry {entry_id} not found", field="id")
                self._check_version(current, if_match, header=True)
                if not actor.can_delete_entry_of(current.email):
                    raise Forbidden(
                        actor.refusal(Role.admin, "You may only delete your own entries")
                    )
                row = entries_repo.set_deleted_if_version(
                    session, entry_id, utcnow(), current.version
                )
                if row is None:  # changed or deleted between our read and our write
                    continue
                audit.append(
                    session,
                    entity=ENTITY,
                    entity_id=entry_id,
                    action="delete",
                    actor=actor,
                    changes={},
                )
                bump_dataset_version(session)
                return
        raise Conflict("The entry is being changed by others; try again", field="id")

    def restore(self, actor: Actor, entry_id: int) -> dict[str, Any]:
        """Undo a soft delete: whoever may delete the entry may bring it back (an admin any)."""
        if not actor.can_write_entries:
            raise Forbidden("Your role may not restore entries")
        for _ in range(LEGACY_UPDATE_ATTEMPTS):
            with self._db.write() as session:
                current = entries_repo.get_by_id(session, entry_id, include_deleted=True)
                if current is None or current.deleted_at is None:
                    raise NotFound(f"No deleted entry {entry_id}", field="id")
                if not actor.can_delete_entry_of(current.email):
                    raise Forbidden(
                        actor.refusal(Role.admin, "You may only restore your own entries")
                    )
                row = entries_repo.set_deleted_if_version(session, entry_id, None, current.version)
                if row is None:  # restored or changed between our read and our write
                    continue
                audit.append(
                    session,
                    entity=ENTITY,
                    entity_id=entry_id,
                    action="restore",
                    actor=actor,
                    changes={},
                )
                bump_dataset_version(session)
            return legacy_record(row)
        raise Conflict("The entry is being changed by others; try again", field="id")
