"""Streaming multipart parsing for video uploads.

The body is pushed through python-multipart's incremental parser as it arrives; the file part's
bytes are written (and hashed) in a worker thread in batches of about a megabyte, so neither
the whole file nor a spooled copy of it is ever held in memory. Other parts are small fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from adda_dashboard.errors import Invalid
from adda_dashboard.services.video_files import IncomingFile

FILE_FIELD = "video"
FLUSH_BYTES = 1024 * 1024
MAX_FIELD_BYTES = 4096
MAX_PARTS = 16


@dataclass
class ParsedUpload:
    fields: dict[str, str] = field(default_factory=dict)
    file: IncomingFile | None = None
    filename: str | None = None


class _Collector:
    """python-multipart callbacks; they only copy bytes, never touch the disk."""

    def __init__(self, open_file: Callable[[], IncomingFile]) -> None:
        self.result = ParsedUpload()
        self.pending: list[bytes] = []
        self.pending_size = 0
        self._open_file = open_file
        self._parts = 0
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._field: str | None = None
        self._field_value = bytearray()
        self._in_file = False

    def on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise Invalid("The form has too many parts", field="body")
        self._headers = {}
        self._field = None
        self._field_value = bytearray()
        self._in_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if name == FILE_FIELD and filename is not None:
            if self.result.file is not None:
                raise Invalid("Send one video per request", field=FILE_FIELD)
            decoded = filename.decode("utf-8", "replace")
            if not decoded.strip():
                raise Invalid("No file selected", field=FILE_FIELD)
            self.result.filename = decoded
            self.result.file = self._open_file()
            self._in_file = True
        else:
            self._field = name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.pending.append(bytes(data[start:end]))
            self.pending_size += end - start
            return
        self._field_value += data[start:end]
        if len(self._field_value) > MAX_FIELD_BYTES:
            raise Invalid(f"The form field '{self._field}' is too long", field=self._field)

    def on_part_end(self) -> None:
        if not self._in_file and self._field:
            self.result.fields[self._field] = self._field_value.decode("utf-8", "replace")
        self._in_file = False

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise Invalid("No video file provided (send multipart/form-data)", field=FILE_FIELD)
    return boundary


async def receive_upload(request: Request, open_file: Callable[[], IncomingFile]) -> ParsedUpload:
    """Read the whole body; the file lands in an IncomingFile that the caller must finish."""
    collector = _Collector(open_file)
    parser = MultipartParser(_boundary(request), collector.callbacks())  # type: ignore[arg-type]

    def flush() -> None:
        file = collector.result.file
        batch, collector.pending, collector.pending_size = collector.pending, [], 0
        if file is not None:
            for chunk in batch:
                file.write(chunk)

    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if collector.pending_size >= FLUSH_BYTES:
                await run_in_threadpool(flush)
        parser.finalize()
        await run_in_threadpool(flush)
    except MultipartParseError:
        _discard(collector.result)
        raise Invalid("The upload is not valid multipart form data", field="body") from None
    except BaseException:
        _discard(collector.result)
        raise
    if collector.result.file is None:
        raise Invalid("No video file provided", field=FILE_FIELD)
    return collector.result


def _discard(parsed: ParsedUpload) -> None:
    if parsed.file is not None:
        parsed.file.discard()
