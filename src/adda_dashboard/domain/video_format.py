"""Recognising video containers from their first bytes, never from a name or a header.

Pure functions over bytes: the caller reads the file. The list covers the containers people
upload and yt-dlp produces; anything else is not a video for this service.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

SNIFF_BYTES = 64


@dataclass(frozen=True)
class ContainerKind:
    name: str
    extension: str
    mime_type: str


MP4 = ContainerKind("mp4", "mp4", "video/mp4")
QUICKTIME = ContainerKind("quicktime", "mov", "video/quicktime")
THREE_GP = ContainerKind("3gp", "3gp", "video/3gpp")
MATROSKA = ContainerKind("matroska", "mkv", "video/x-matroska")
AVI = ContainerKind("avi", "avi", "video/x-msvideo")
FLV = ContainerKind("flv", "flv", "video/x-flv")
MPEG_TS = ContainerKind("mpegts", "ts", "video/mp2t")
MPEG_PS = ContainerKind("mpeg", "mpg", "video/mpeg")
ASF = ContainerKind("asf", "wmv", "video/x-ms-asf")

_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_EBML = b"\x1a\x45\xdf\xa3"
# ISO base media boxes that may open a file (ftyp is usual; old QuickTime starts with others).
_QUICKTIME_FIRST_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_ISO_BOX_TYPES_SEEN_AT_TOP = _QUICKTIME_FIRST_BOXES | {
    b"ftyp",
    b"uuid",
    b"meta",
    b"moof",
    b"mfra",
    b"sidx",
    b"styp",
    b"pdin",
    b"junk",
}


def sniff_container(head: bytes) -> ContainerKind | None:
    """The container named by the file's first bytes, or None when it is not a video container."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return QUICKTIME
        if brand.startswith(b"3g"):
            return THREE_GP
        return MP4
    if len(head) >= 8 and head[4:8] in _QUICKTIME_FIRST_BOXES:
        return QUICKTIME
    if head.startswith(_EBML):
        return MATROSKA
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX"):
        return AVI
    if head.startswith(b"FLV\x01"):
        return FLV
    if head.startswith(_ASF_GUID):
        return ASF
    if head.startswith(b"\x00\x00\x01\xba"):
        return MPEG_PS
    if len(head) >= 1 and head[0] == 0x47 and (len(head) < 189 or head[188] == 0x47):
        return MPEG_TS
    return None


def extension_for(format_name: str, fallback: ContainerKind) -> str:
    """The file extension to store under, from the demuxer PyAV reported."""
    if format_name.startswith("matroska") and "webm" in format_name and fallback is MATROSKA:
        return "mkv"
    return fallback.extension


def iso_boxes_fit(read_at: Callable[[int, int], bytes], size: int) -> bool:
    """Whether the top-level boxes of an ISO media file end exactly at the end of the file.

    A cut-off upload leaves its last box claiming more bytes than exist. ``read_at(offset, n)``
    returns up to ``n`` bytes at ``offset``; only box headers are read, so this is cheap.
    """
    offset = 0
    boxes = 0
    while offset < size:
        header = read_at(offset, 16)
        if len(header) < 8:
            return False
        box_size, box_type = struct.unpack(">I4s", header[:8])
        if box_size == 1:
            if len(header) < 16:
                return False
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:  # "extends to the end of the file"
            box_size = size - offset
        if box_size < 8 or offset + box_size > size:
            return False
        if boxes == 0 and box_type not in _ISO_BOX_TYPES_SEEN_AT_TOP:
            return False
        offset += box_size
        boxes += 1
    return boxes > 0
