"""The video library: storing uploads and downloads once per content, with their facts
(duration, size, codec, Shorts verdict) in the database, and the reads and housekeeping on it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError

from adda_dashboard.adapters.media import NotAVideo, VideoMetadata, check_container, probe
from adda_dashboard.adapters.storage import VideoStorage
from adda_dashboard.adapters.video_log import VideoLog
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import Video
from adda_dashboard.db.repositories import idempotency
from adda_dashboard.db.repositories import videos as videos_repo
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.domain.shorts import shorts_verdict
from adda_dashboard.domain.video_format import extension_for
from adda_dashboard.errors import (
    Forbidden,
    Invalid,
    NotFound,
    PayloadTooLarge,
    StorageFull,
    UnsupportedMediaType,
)
from adda_dashboard.services.entries import EntryService
from adda_dashboard.services.video_files import (
    IncomingFile,
    ensure_free_space,
    is_disk_full,
    sha256_of,
    size_limit_message,
)

MB = 1024 * 1024
UPLOAD_SCOPE = "upload-video"
# Multipart framing and small fields on top of the file itself.
MULTIPART_ALLOWANCE = 64 * 1024


@dataclass(frozen=True)
class LibraryPolicy:
    staging_dir: Path
    max_upload_bytes: int
    min_free_bytes: int
    retention_days: int
    public_base_url: str


@dataclass(frozen=True)
class Provenance:
    """Where a file came from and who brought it."""

    source: str  # "upload" or "download"
    actor: Actor
    original_name: str = ""
    content_type: str = "Unknown"
    source_url: str | None = None
    source_info: dict[str, Any] | None = None


def require_uploader(actor: Actor) -> None:
    if not actor.at_least(Role.contributor):
        raise Forbidden("Uploading videos needs the contributor role or above")


class VideoLibrary:
    def __init__(
        self,
        db: Database,
        storage: VideoStorage,
        entries: EntryService,
        policy: LibraryPolicy,
        log: VideoLog,
    ) -> None:
        self._db = db
        self.storage = storage
        self._entries = entries
        self.policy = policy
        self.log = log

    # Uploads -----------------------------------------------------------------------------------

    def authorize_upload(
        self, actor: Actor, *, declared_length: int | None, entry_id: int | None
    ) -> None:
        """Everything that can be refused before a single byte of the body is read."""
        require_uploader(actor)
        if declared_length is not None and declared_length > (
            self.policy.max_upload_bytes + MULTIPART_ALLOWANCE
        ):
            raise PayloadTooLarge(size_limit_message(self.policy.max_upload_bytes), field="video")
        if entry_id is not None:
            self.check_entry_editable(actor, entry_id)
        self.ensure_room()

    def folders(self) -> list[Path]:
        """Where this server writes video files: the staging folder, and the local store's."""
        folders = [self.policy.staging_dir]
        if self.storage.backend == "local":
            folders.append(Path(self.storage.location()))
        return folders

    def ensure_room(self) -> None:
        """Refuse an upload or a download before it starts while the video disk is nearly full."""
        ensure_free_space(self.folders(), self.policy.min_free_bytes)

    def check_entry_editable(self, actor: Actor, entry_id: int) -> None:
        entry = self._entries.get(entry_id)
        if not actor.can_edit_entry_of(str(entry["Email"])):
            raise Forbidden(
                actor.refusal(Role.editor, "You may only attach videos to your own entries"),
                field="entry_id",
            )

    def receive(self) -> IncomingFile:
        return IncomingFile(self.policy.staging_dir, self.policy.max_upload_bytes)

    def replay(self, actor: Actor, key: str | None) -> dict[str, Any] | None:
        """The answer already given to a request with this ``Idempotency-Key``, if any."""
        if not key:
            return None
        require_uploader(actor)
        with self._db.read() as session:
            resource = idempotency.get_resource_id(session, UPLOAD_SCOPE, actor.email, key)
            video = videos_repo.get_by_id(session, int(resource)) if resource else None
            session.expunge_all()  # rows outlive the read
        if video is None:
            return None
        return {**self.upload_response(video, duplicate=True), "idempotent_replay": True}

    def store_upload(
        self,
        incoming: IncomingFile,
        provenance: Provenance,
        *,
        entry_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Check, store (once per content) and describe an upload that has fully arrived."""
        sha256 = incoming.finish()
        try:
            video, duplicate = self.ingest(incoming.path, sha256, provenance)
        finally:
            incoming.discard()
        if idempotency_key:
            self._remember_key(provenance.actor.email, idempotency_key, video.id)
        response = self.upload_response(video, duplicate=duplicate)
        if entry_id is not None:
            response["entry"] = self.fill_entry(provenance.actor, entry_id, video)
        return response

    def _remember_key(self, owner: str, key: str, video_id: int) -> None:
        try:
            with self._db.write() as session:
                if idempotency.get_resource_id(session, UPLOAD_SCOPE, owner, key) is None:
                    idempotency.insert(session, UPLOAD_SCOPE, owner, key, str(video_id))
        except IntegrityError:  # a concurrent retry remembered it first
            pass

    # Storing -----------------------------------------------------------------------------------

    def ingest(self, path: Path, sha256: str | None, provenance: Provenance) -> tuple[Video, bool]:
        """Validate a local file and store it unless the same bytes are already stored.

        Returns the video and whether it was a duplicate. The caller removes ``path``.
        """
        size = path.stat().st_size
        if size == 0:
            raise Invalid("The video file is empty", field="video")
        try:
            with path.open("rb") as handle:
                kind = check_container(handle.read(264))
            meta = probe(path, kind)
        except NotAVideo as exc:
            self.log.warn(
                "rejected",
                reason=str(exc),
                source=provenance.source,
                name=provenance.original_name,
                by=provenance.actor.email,
            )
            raise UnsupportedMediaType(str(exc), field="video") from None
        sha256 = sha256 or sha256_of(path)
        with self._db.read() as session:
            existing = videos_repo.get_by_sha256(session, sha256)
            session.expunge_all()  # rows outlive the read
        if existing is not None:
            self.log.record(
                "duplicate",
                filename=existing.filename,
                sha256=sha256,
                source=provenance.source,
                by=provenance.actor.email,
            )
            return existing, True
        filename = f"{sha256}.{extension_for(meta.format_name, meta.kind)}"
        try:
            stored = self.storage.save_file(path, filename, content_type=meta.kind.mime_type)
        except OSError as exc:  # the storage removes its own partial copy
            if is_disk_full(exc):
                raise StorageFull() from exc
            raise
        try:
            with self._db.write() as session:
                video = videos_repo.insert(
                    session,
                    self._row(
                        filename,
                        sha256,
                        stored.key,
                        stored.public_link,
                        stored.size,
                        meta,
                        provenance,
                    ),
                )
        except IntegrityError:
            with self._db.read() as session:
                winner = videos_repo.get_by_sha256(session, sha256)
                session.expunge_all()  # rows outlive the read
            if winner is None:
                self.storage.delete(stored.key)
                raise
            if winner.storage_key != stored.key:
                self.storage.delete(stored.key)
            return winner, True
        self.log.record(
            "stored",
            filename=filename,
            sha256=sha256,
            size=stored.size,
            backend=self.storage.backend,
            source=provenance.source,
            name=provenance.original_name,
            by=provenance.actor.email,
            short=video.is_short,
        )
        return video, False

    def _row(
        self,
        filename: str,
        sha256: str,
        key: str,
        link: str | None,
        size: int,
        meta: VideoMetadata,
        provenance: Provenance,
    ) -> dict[str, Any]:
        verdict = shorts_verdict(meta.width, meta.height, meta.duration_s)
        return {
            "filename": filename,
            "sha256": sha256,
            "storage_backend": self.storage.backend,
            "storage_key": key,
            "public_link": link,
            "size_bytes": size,
            "container": meta.kind.name,
            "mime_type": meta.kind.mime_type,
            "duration_s": meta.duration_s,
            "width": meta.width,
            "height": meta.height,
            "codec": meta.codec,
            "frame_rate": meta.frame_rate,
            "is_short": verdict.qualifies,
            "shorts_warnings": list(verdict.warnings),
            "source": provenance.source,
            "source_url": provenance.source_url,
            "source_info": provenance.source_info,
            "original_name": provenance.original_name,
            "content_type": provenance.content_type,
            "uploaded_by_id": provenance.actor.user_id,
            "uploaded_by_email": provenance.actor.email,
        }

    def fill_entry(self, actor: Actor, entry_id: int, video: Video) -> dict[str, Any]:
        """Point an entry at a stored video (audited and versioned like any other edit)."""
        return self._entries.update(
            actor, entry_id, {"VideoId": self.video_id(video), "Video Link": self.link(video)}
        )

    # Describing --------------------------------------------------------------------------------

    def video_id(self, video: Video) -> str:
        """The Drive file id on Drive (as the original answered), else the content hash."""
        return video.storage_key if video.storage_backend == "gdrive" else video.sha256

    def link(self, video: Video) -> str:
        if video.public_link:
            return video.public_link
        base = self.policy.public_base_url.rstrip("/")
        return f"{base}/api/videos/file/{video.filename}"

    def upload_response(self, video: Video, *, duplicate: bool) -> dict[str, Any]:
        """The original's keys (API.md A.7) where they still mean something, plus the facts."""
        body: dict[str, Any] = {
            "success": True,
            "filename": video.filename,
            "file_size_mb": round(video.size_bytes / MB, 2),
            "saved_locally": video.storage_backend == "local",
            "uploaded_to_drive": video.storage_backend == "gdrive",
            "video_id": self.video_id(video),
        }
        if video.storage_backend == "gdrive" and video.public_link:
            body["drive_link"] = video.public_link
            body["shareable_link"] = video.public_link
        body.update(self.describe(video))
        body["duplicate"] = duplicate
        return body

    def describe(self, video: Video) -> dict[str, Any]:
        """Everything comes from the row itself (the uploader's email included), so a page of
        the library costs one query however many rows it shows."""
        return {
            "id": video.id,
            "filename": video.filename,
            "video_id": self.video_id(video),
            "sha256": video.sha256,
            "size_bytes": video.size_bytes,
            "size_mb": round(video.size_bytes / MB, 2),
            "created": video.created_at.isoformat(),
            "modified": video.updated_at.isoformat(),
            "storage": video.storage_backend,
            "link": self.link(video),
            "source": video.source,
            "source_url": video.source_url,
            "original_name": video.original_name,
            "content_type": video.content_type,
            "uploaded_by": video.uploaded_by_email,
            "metadata": {
                "container": video.container,
                "duration": video.duration_s,
                "width": video.width,
                "height": video.height,
                "codec": video.codec,
                "frame_rate": video.frame_rate,
            },
            "is_short": video.is_short,
            "shorts": {"qualifies": video.is_short, "warnings": list(video.shorts_warnings)},
        }

    # Reads -------------------------------------------------------------------------------------

    def list(self, *, limit: int, offset: int) -> dict[str, Any]:
        with self._db.read() as session:
            rows = videos_repo.list_newest_first(session, limit=limit, offset=offset)
            total, total_bytes = videos_repo.totals(session)
            session.expunge_all()  # rows outlive the read
        return {
            "success": True,
            "videos": [self.describe(v) for v in rows],
            "count": len(rows),
            "total": total,
            "total_size_mb": round(total_bytes / MB, 2),
        }

    def get(self, filename: str) -> Video:
        with self._db.read() as session:
            video = videos_repo.get_by_filename(session, filename)
            session.expunge_all()  # rows outlive the read
        if video is None:
            raise NotFound("Video not found", field="filename")
        return video

    def info(self, filename: str) -> dict[str, Any]:
        return {"success": True, **self.describe(self.get(filename))}

    def stats(self, actor: Actor) -> dict[str, Any]:
        with self._db.read() as session:
            count, size = videos_repo.totals(session)
        body: dict[str, Any] = {
            "success": True,
            "video_count": count,
            "total_size_bytes": size,
            "total_size_mb": round(size / MB, 2),
            "total_size_gb": round(size / (1024 * MB), 3),
            "storage_backend": self.storage.backend,
        }
        # Server paths are for operators only (the original showed them to anyone).
        body["storage_path"] = (
            self.storage.location() if actor.at_least(Role.admin) else self.storage.backend
        )
        return body

    def open(self, video: Video) -> AbstractContextManager[BinaryIO]:
        return self.storage.open(video.storage_key)

    # Housekeeping ------------------------------------------------------------------------------

    def delete_expired(self, now: datetime | None = None, *, batch: int = 200) -> int:
        """Delete videos older than the retention period that no live entry links to."""
        if self.policy.retention_days <= 0:
            return 0
        cutoff = (now or utcnow()) - timedelta(days=self.policy.retention_days)
        deleted = 0
        with self._db.read() as session:
            expired = videos_repo.list_unlinked_created_before(session, cutoff, limit=batch)
            session.expunge_all()  # rows outlive the read
        for video in expired:
            self.storage.delete(video.storage_key)
            with self._db.write() as session:
                videos_repo.delete_by_id(session, video.id)
            self.log.record(
                "retention_deleted", filename=video.filename, created=video.created_at.isoformat()
            )
            deleted += 1
        return deleted
