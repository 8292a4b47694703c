"""A local stand-in for the few Google Drive v3 endpoints the storage adapter uses.

It speaks the real wire protocol on 127.0.0.1: the resumable upload (a POST that opens a
session, then PUTs of ``Content-Range`` chunks answered 308 until the last), files.get (JSON and
``alt=media``), files.delete, permissions.create, and an OAuth token endpoint for
service-account keys. Everything it was sent is recorded for the tests to inspect.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class DriveFile:
    id: str
    name: str
    parents: list[str]
    data: bytes
    permissions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class UploadSession:
    metadata: dict[str, Any]
    total: int
    received: bytearray = field(default_factory=bytearray)
    chunks: int = 0


class DriveStandIn:
    def __init__(self) -> None:
        self.files: dict[str, DriveFile] = {}
        self.sessions: dict[str, UploadSession] = {}
        self.authorizations: list[str] = []
        self.token_requests = 0
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _send(
                self,
                status: int,
                body: Any = None,
                headers: dict[str, str] | None = None,
                raw: bytes | None = None,
            ) -> None:
                payload = (
                    raw
                    if raw is not None
                    else (json.dumps(body).encode() if body is not None else b"")
                )
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if raw is None and body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _not_found(self) -> None:
                self._send(404, {"error": {"code": 404, "message": "File not found"}})

            def _route(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                body = self._body()
                if parts.path == "/token":
                    with standin.lock:
                        standin.token_requests += 1
                    self._send(
                        200,
                        {
                            "access_token": "standin-token",
                            "expires_in": 3600,
                            "token_type": "Bearer",
                        },
                    )
                    return
                with standin.lock:
                    standin.authorizations.append(self.headers.get("Authorization", ""))
                standin.handle(self, method, parts.path, query, body)

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_PUT(self) -> None:
                self._route("PUT")

            def do_DELETE(self) -> None:
                self._route("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, h: Any, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        if path == "/upload/drive/v3/files" and method == "POST":
            assert query.get("uploadType") == "resumable", query
            session_id = uuid.uuid4().hex
            total = int(h.headers.get("X-Upload-Content-Length") or -1)
            with self.lock:
                self.sessions[session_id] = UploadSession(json.loads(body or b"{}"), total)
            location = (
                f"{self.endpoint}/upload/drive/v3/files?uploadType=resumable&upload_id={session_id}"
            )
            h._send(200, {}, headers={"Location": location})
            return
        if path == "/upload/drive/v3/files" and method == "PUT":
            self._chunk(h, query["upload_id"], body)
            return
        segments = path.strip("/").split("/")
        if segments[:3] != ["drive", "v3", "files"] or len(segments) < 4:
            h._send(404, {"error": {"code": 404, "message": f"no route {path}"}})
            return
        file = self.files.get(segments[3])
        if file is None:
            h._not_found()
            return
        if len(segments) == 5 and segments[4] == "permissions" and method == "POST":
            permission = json.loads(body)
            file.permissions.append(permission)
            h._send(200, {"id": "anyoneWithLink", **permission})
        elif method == "GET" and query.get("alt") == "media":
            h._send(200, raw=file.data, headers={"Content-Type": "application/octet-stream"})
        elif method == "GET":
            h._send(
                200,
                {"id": file.id, "name": file.name, "size": str(len(file.data)), "trashed": False},
            )
        elif method == "DELETE":
            with self.lock:
                del self.files[file.id]
            h._send(204)
        else:
            h._send(405, {"error": {"code": 405, "message": "method not allowed"}})

    def _chunk(self, h: Any, session_id: str, body: bytes) -> None:
        session = self.sessions.get(session_id)
        if session is None:
            h._not_found()
            return
        content_range = h.headers.get("Content-Range", "")
        _unit, _, spec = content_range.partition(" ")
        span, _, total = spec.partition("/")
        if total and total != "*":
            session.total = int(total)
        if span != "*":
            start = int(span.split("-")[0])
            assert start == len(session.received), (start, len(session.received))
            session.received += body
            session.chunks += 1
        if len(session.received) < session.total:
            headers = {"Range": f"bytes=0-{len(session.received) - 1}"} if session.received else {}
            h._send(308, raw=b"", headers=headers)
            return
        file_id = "drv" + uuid.uuid4().hex[:24]
        with self.lock:
            self.files[file_id] = DriveFile(
                id=file_id,
                name=session.metadata.get("name", ""),
                parents=list(session.metadata.get("parents", [])),
                data=bytes(session.received),
            )
        h._send(200, {"id": file_id, "size": str(len(session.received))})

    def __enter__(self) -> DriveStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def service_account_key(token_uri: str) -> dict[str, str]:
    """A freshly generated service-account key whose token endpoint is the stand-in."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "adda-test",
        "private_key_id": "test-key-1",
        "private_key": pem,
        "client_email": "uploader@adda-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    }
