"""Tables of the tracker. Column names are snake_case; the sheet's headers live in the domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session

from adda_dashboard.db.base import Base, utcnow

Timestamp = DateTime(timezone=True)


class Entry(Base):
    """One Short: a row of the original's main tab (Final) or re-edit tab (Re-edit)."""

    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sr_no: Mapped[int] = mapped_column(BigInteger, unique=True)
    email: Mapped[str] = mapped_column(String(254))
    vertical: Mapped[str] = mapped_column(String(200))
    exam: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(200))
    sub_category: Mapped[str] = mapped_column(String(200), default="")
    video_link: Mapped[str] = mapped_column(String(2048))
    edit_status: Mapped[str] = mapped_column(String(16))
    editor_brief: Mapped[str] = mapped_column(Text, default="")
    final_edited_link: Mapped[str] = mapped_column(String(2048), default="")
    video_id: Mapped[str] = mapped_column(String(128), index=True, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # The dataset version of the transaction that last wrote the row (0: before it was kept),
    # so each process's copy of the live entries reads only the rows changed since its own.
    changed_in: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", index=True)

    __table_args__ = (
        # The legacy list order (Final first, then Re-edit, each by id) and keyset pages.
        Index("ix_entries_status_id", "edit_status", "id"),
        Index("ix_entries_deleted_at_id", "deleted_at", "id"),
        # One index per filter over live entries only, with the id for keyset order: a filtered
        # page and its total are read from the index alone.
        *(
            Index(
                f"ix_entries_live_{column}",
                column,
                "id",
                sqlite_where=text("deleted_at IS NULL"),
                postgresql_where=text("deleted_at IS NULL"),
            )
            for column in (
                "email",
                "vertical",
                "exam",
                "subject",
                "content_type",
                "sub_category",
                "edit_status",
            )
        ),
        # Ids are never reused, even for the newest row after a purge.
        {"sqlite_autoincrement": True},
    )


class Counter(Base):
    """Named counters bumped inside the writing transaction (serial numbers, dataset version)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(200), unique=True)
    vertical: Mapped[str] = mapped_column(String(200), index=True)
    exam: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    issue_type: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    issue_text: Mapped[str] = mapped_column(Text)
    reporter_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(512), nullable=True)
    role: Mapped[str] = mapped_column(String(16), default="contributor")
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    is_active: Mapped[bool] = mapped_column(default=True)
    auth_source: Mapped[str] = mapped_column(String(32), default="password")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    # When the address was proven: by the emailed link of a password sign-up, by Google, or by
    # whoever made the account (the CLI, an admin). None (unproven) unless a creator says so,
    # so a way of making accounts that forgets it fails closed: a password cannot sign in.
    email_verified_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)


class EmailVerificationToken(Base):
    """One emailed sign-up link: only a digest of its token is kept, so the table's rows open
    nothing; single use (``used_at``) and valid until ``expires_at``."""

    __tablename__ = "email_verification_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    used_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)

    __table_args__ = ({"sqlite_autoincrement": True},)


class AuditRecord(Base):
    """Who changed what and when; the history of an entry is read from here."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = (
        Index("ix_audit_log_entity_entity_id", "entity", "entity_id", "id"),
        {"sqlite_autoincrement": True},
    )


class TaxonomyDocument(Base):
    """The taxonomy as served by /api/exams and /api/categories, loaded from package data."""

    __tablename__ = "taxonomy_documents"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Video(Base):
    """A stored video file, kept once per distinct content (``sha256``) in the storage backend."""

    __tablename__ = "videos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filename: Mapped[str] = mapped_column(String(96), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    storage_backend: Mapped[str] = mapped_column(String(16))
    storage_key: Mapped[str] = mapped_column(String(1024))
    public_link: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    container: Mapped[str] = mapped_column(String(32))
    mime_type: Mapped[str] = mapped_column(String(64))
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    codec: Mapped[str | None] = mapped_column(String(32), nullable=True)
    frame_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    is_short: Mapped[bool] = mapped_column(Boolean)
    shorts_warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16))
    source_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    source_info: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(200), default="Unknown")
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    uploaded_by_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = ({"sqlite_autoincrement": True},)


class DownloadJob(Base):
    """A video download run by the queue workers; every server answers status from this row."""

    __tablename__ = "download_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    content_type: Mapped[str] = mapped_column(String(200), default="Unknown")
    entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    requested_by_email: Mapped[str] = mapped_column(String(254))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # worker claims
    tries: Mapped[int] = mapped_column(Integer, default=0)  # network tries, all claims
    max_attempts: Mapped[int] = mapped_column(Integer)
    downloaded_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    total_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    percent: Mapped[float] = mapped_column(Float, default=0.0)
    speed_bps: Mapped[float | None] = mapped_column(Float, nullable=True)
    eta_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    video_id: Mapped[int | None] = mapped_column(
        ForeignKey("videos.id", ondelete="SET NULL"), nullable=True
    )
    queued_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = (
        Index("ix_download_jobs_requested_by_email_status", "requested_by_email", "status"),
    )


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key``, remembered so that a retried request is answered again."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(254))
    key: Mapped[str] = mapped_column(String(200))
    resource_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)

    __table_args__ = (
        UniqueConstraint("scope", "owner", "key"),
        {"sqlite_autoincrement": True},
    )


class SheetOutbox(Base):
    """A committed change of an entry or a ticket that the spreadsheet has not been given yet,
    written in the change's own transaction (so a rolled-back change never gets here) and kept
    until Google accepted it; only the key is kept, the push sends the latest state."""

    __tablename__ = "sheet_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_try_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_sheet_outbox_entity_entity_id", "entity", "entity_id"),
        {"sqlite_autoincrement": True},
    )


class SheetRowState(Base):
    """What the spreadsheet was last given (or last gave back) for one entry or ticket: the
    cells by column and the version they came from, to tell an edit typed into the sheet from a
    cell that is merely behind the database."""

    __tablename__ = "sheet_row_states"

    entity: Mapped[str] = mapped_column(String(16), primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tab: Mapped[str] = mapped_column(String(16))
    cells: Mapped[dict[str, str]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class SheetConflict(Base):
    """A cell an editor changed in the sheet while the app changed the entry too: the app's
    value won, and this keeps what the sheet said."""

    __tablename__ = "sheet_conflicts"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(Integer, index=True)
    sr_no: Mapped[int] = mapped_column(BigInteger)
    column: Mapped[str] = mapped_column(String(64))
    sheet_value: Mapped[str] = mapped_column(Text)
    app_value: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)


class SheetSyncState(Base):
    """One row per direction (``push``, ``pull``): who holds it (a lease, so two workers never
    push at once and a dead one is taken over), when it last succeeded and last failed."""

    __tablename__ = "sheet_sync_state"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    last_failure_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


@event.listens_for(User, "after_update")
def _remember_changed_user(_mapper: Any, _connection: Any, target: User) -> None:
    """Note every changed user in the session, so caches of user facts can be dropped after
    the commit (whatever code path changed the user)."""
    session = object_session(target)
    if session is not None:
        session.info.setdefault("users_changed", set()).add(target.id)
