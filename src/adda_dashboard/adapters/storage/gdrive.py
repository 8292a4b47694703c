"""Videos in a Google Drive folder, sent with resumable uploads in fixed-size chunks.

The googleapiclient service object and its httplib2 transport are not thread-safe, so each
thread builds its own (the original shared one across threads). With ``api_endpoint`` set, the
library's bundled discovery document is pointed at that address (a proxy or a stand-in).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from adda_dashboard.adapters.storage import StorageError, StoredObject, check_name
from adda_dashboard.settings import Settings

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
CHUNK_ALIGN = 256 * 1024
HTTP_TIMEOUT_S = 120


def drive_link(file_id: str) -> str:
    return f"https://drive.google.com/file/d/{file_id}/view"


class DriveStorage:
    backend = "gdrive"

    def __init__(
        self,
        credentials: Any,
        folder_id: str,
        *,
        api_endpoint: str | None = None,
        share_publicly: bool = True,
        chunk_size: int = 8 * 1024 * 1024,
    ) -> None:
        if not folder_id:
            raise StorageError("ADDA_GDRIVE_FOLDER_ID must be set for the gdrive storage backend")
        self.folder_id = folder_id
        self.share_publicly = share_publicly
        self.chunk_size = max(CHUNK_ALIGN, chunk_size // CHUNK_ALIGN * CHUNK_ALIGN)
        self._credentials = credentials
        self._api_endpoint = api_endpoint
        self._local = threading.local()

    @classmethod
    def from_settings(cls, settings: Settings) -> DriveStorage:
        if settings.gdrive_credentials_file:
            from google.oauth2 import service_account

            credentials: Any = service_account.Credentials.from_service_account_file(
                str(settings.gdrive_credentials_file), scopes=[DRIVE_SCOPE]
            )
        elif settings.gdrive_api_endpoint:
            from google.auth.credentials import AnonymousCredentials

            credentials = AnonymousCredentials()
        else:
            raise StorageError(
                "ADDA_GDRIVE_CREDENTIALS_FILE (a service-account key file) must be set for the "
                "gdrive storage backend"
            )
        return cls(
            credentials,
            settings.gdrive_folder_id,
            api_endpoint=settings.gdrive_api_endpoint,
            share_publicly=settings.gdrive_share_publicly,
            chunk_size=settings.gdrive_chunk_mb * 1024 * 1024,
        )

    @property
    def service(self) -> Any:
        service = getattr(self._local, "service", None)
        if service is None:
            service = self._build()
            self._local.service = service
        return service

    @contextmanager
    def _rebuilt_after_failure(self) -> Iterator[None]:
        """A client whose connection failed is dropped, so this thread builds a fresh one next
        time (the library already retried transient errors with backoff before raising)."""
        try:
            yield
        except Exception as exc:
            from googleapiclient.errors import HttpError

            if not isinstance(exc, HttpError) or exc.resp.status >= 500:
                self._local.service = None
            raise

    def _build(self) -> Any:
        import google_auth_httplib2
        from googleapiclient.discovery import build, build_from_document
        from googleapiclient.discovery_cache import get_static_doc
        from googleapiclient.http import build_http

        transport = build_http()  # httplib2 that leaves 308 (resumable progress) alone
        transport.timeout = HTTP_TIMEOUT_S
        http = google_auth_httplib2.AuthorizedHttp(self._credentials, http=transport)
        if not self._api_endpoint:
            return build("drive", "v3", http=http, static_discovery=True, cache_discovery=False)
        document = json.loads(get_static_doc("drive", "v3") or "{}")
        root = self._api_endpoint.rstrip("/") + "/"
        document["rootUrl"] = root
        document["mtlsRootUrl"] = root
        return build_from_document(document, http=http)

    def save(self, source: BinaryIO, name: str, *, content_type: str) -> StoredObject:
        if not source.seekable():  # the resumable protocol needs the total size up front
            with tempfile.TemporaryFile() as spool:
                shutil.copyfileobj(source, spool, self.chunk_size)
                spool.seek(0)
                return self._upload(spool, name, content_type)
        return self._upload(source, name, content_type)

    def save_file(self, path: Path, name: str, *, content_type: str) -> StoredObject:
        with path.open("rb") as source:
            return self._upload(source, name, content_type)

    def _upload(self, source: BinaryIO, name: str, content_type: str) -> StoredObject:
        with self._rebuilt_after_failure():
            return self._upload_once(source, name, content_type)

    def _upload_once(self, source: BinaryIO, name: str, content_type: str) -> StoredObject:
        from googleapiclient.http import MediaIoBaseUpload

        media = MediaIoBaseUpload(
            source, mimetype=content_type, chunksize=self.chunk_size, resumable=True
        )
        request = self.service.files().create(
            body={"name": check_name(name), "parents": [self.folder_id]},
            media_body=media,
            fields="id,size",
            supportsAllDrives=True,
        )
        response = None
        while response is None:
            _status, response = request.next_chunk(num_retries=3)
        file_id = response["id"]
        if self.share_publicly:
            self.service.permissions().create(
                fileId=file_id, body={"type": "anyone", "role": "reader"}, supportsAllDrives=True
            ).execute(num_retries=3)
        size = int(response.get("size") or media.size())
        return StoredObject(key=file_id, size=size, public_link=drive_link(file_id))

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        """The file, fetched in chunks into a temporary file (never into memory)."""
        from googleapiclient.http import MediaIoBaseDownload

        request = self.service.files().get_media(fileId=key, supportsAllDrives=True)
        with tempfile.TemporaryFile() as spool:
            downloader = MediaIoBaseDownload(spool, request, chunksize=self.chunk_size)
            done = False
            while not done:
                _status, done = downloader.next_chunk(num_retries=3)
            spool.seek(0)
            yield spool  # type: ignore[misc]

    def _metadata(self, key: str) -> dict[str, Any] | None:
        from googleapiclient.errors import HttpError

        try:
            with self._rebuilt_after_failure():
                return (
                    self.service.files()
                    .get(fileId=key, fields="id,size,trashed", supportsAllDrives=True)
                    .execute(num_retries=3)
                )
        except HttpError as exc:
            if exc.resp.status == 404:
                return None
            raise

    def size(self, key: str) -> int:
        meta = self._metadata(key)
        if meta is None:
            raise FileNotFoundError(key)
        return int(meta.get("size") or 0)

    def exists(self, key: str) -> bool:
        meta = self._metadata(key)
        return meta is not None and not meta.get("trashed", False)

    def delete(self, key: str) -> None:
        from googleapiclient.errors import HttpError

        try:
            with self._rebuilt_after_failure():
                self.service.files().delete(fileId=key, supportsAllDrives=True).execute(
                    num_retries=3
                )
        except HttpError as exc:
            if exc.resp.status != 404:
                raise

    def public_link(self, key: str) -> str | None:
        return drive_link(key)

    def location(self) -> str:
        return f"Google Drive folder {self.folder_id}"
