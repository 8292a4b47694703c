"""Rules for video downloads: which addresses may be fetched, and what yt-dlp's errors mean.

Pure functions: the adapters resolve names and run yt-dlp; this module only judges.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from urllib.parse import urlsplit

from adda_dashboard.errors import STORAGE_FULL_MESSAGE, Invalid


class JobStatus(StrEnum):
    queued = "queued"
    downloading = "downloading"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE_STATUSES = (JobStatus.queued, JobStatus.downloading)
FINISHED_STATUSES = (JobStatus.completed, JobStatus.failed, JobStatus.cancelled)


def parse_download_url(raw: object) -> tuple[str, str]:
    """The URL and its host, for http(s) URLs only; anything else is refused with a 400."""
    if raw is None:
        raise Invalid("YouTube URL is required", field="youtube_url")
    if not isinstance(raw, str):
        raise Invalid("YouTube URL must be a string", field="youtube_url")
    url = raw.strip()
    if not url:
        raise Invalid("YouTube URL cannot be empty", field="youtube_url")
    if len(url) > 2048:
        raise Invalid("The URL is longer than 2048 characters", field="youtube_url")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise Invalid("Only http and https URLs can be downloaded", field="youtube_url")
    if parts.username or parts.password:
        raise Invalid("URLs with credentials are not accepted", field="youtube_url")
    return url, parts.hostname


# Networks no download may reach, after IANA's special-purpose registries (RFC 6890 and its
# updates). Python's ``is_global`` is the catch-all below them, but its tables differ between
# Python releases (3.11.7 calls 224.0.0.1, fec0::1 and 192.0.0.192 global), so the rules that
# matter are spelled out here and hold whatever interpreter runs them.
_REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"; a connect to 0.0.0.0 reaches this machine
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT; holds Alibaba's metadata 100.100.100.200
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local: AWS, GCP, Azure, DigitalOcean... metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments; holds Oracle's metadata 192.0.0.192
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast, deprecated
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible ::a.b.c.d
        "::ffff:0:0/96",  # IPv4-mapped: an IPv6 socket sends it to the IPv4 address inside
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b::/96",  # NAT64: the gateway forwards to whatever IPv4 address is inside
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) among them
        "2001:db8::/32",
        "3fff::/20",
        "5f00::/16",  # segment routing
        "fc00::/7",  # unique local; holds AWS's IPv6 metadata fd00:ec2::254
        "fe80::/10",
        "fec0::/10",  # site-local, deprecated
        "ff00::/8",  # multicast
    )
)
_LOOPBACK_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
# Cloud metadata and control-plane addresses. All but Azure's are inside a refused network
# already; they are listed so that the rules read as a checklist, and a test holds each one.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack, Hetzner, IBM...
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.0.23",  # Tencent Cloud
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer: a public address that only Azure hosts reach
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None


def is_public_address(address: str) -> bool:
    """Whether a download may connect to ``address``: only globally routable unicast addresses.

    Refused: private, loopback, link-local, carrier-grade NAT, multicast, reserved and
    documentation ranges, the cloud metadata addresses, and every IPv6 form that carries an
    IPv4 address a socket or gateway would reach instead (mapped, compatible, translated,
    NAT64, Teredo); a 6to4 address is judged by the IPv4 address inside it. Anything that does
    not parse as an address is refused.
    """
    ip = _parse(address)
    if ip is None or ip in METADATA_ADDRESSES:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip in _SIX_TO_FOUR:
        return ip.sixtofour is not None and is_public_address(str(ip.sixtofour))
    if any(ip in network for network in _REFUSED_NETWORKS):
        return False
    return ip.is_global


def is_loopback_address(address: str) -> bool:
    """127.0.0.0/8 and ::1 themselves; other spellings of them (::ffff:127.0.0.1, 0.0.0.0,
    2002:7f00:1::) are not loopback addresses and stay refused."""
    ip = _parse(address)
    return ip is not None and any(ip in network for network in _LOOPBACK_NETWORKS)


def may_connect(address: str, *, allow_loopback: bool) -> bool:
    """The judgement for every connection a download makes. ``allow_loopback`` lets tests
    fetch from stand-in servers on this machine; nothing else is ever opened by a setting."""
    return is_public_address(address) or (allow_loopback and is_loopback_address(address))


def refused_connection_message(address: str) -> str:
    """Plain words for an address the worker refused mid-download: a redirect, a URL found in
    a page, or a name that resolved differently than when the request was checked."""
    return (
        f"The video host sent the download to a private or local address ({address}), "
        "which is not allowed"
    )


def refused_host_message(host: str, address: str) -> str:
    """Plain words for a submitted URL whose host is refused before anything is queued."""
    if host == address:
        return f"The address {host!r} is a private or local address, which is not allowed"
    return (
        f"The host {host!r} resolves to a private or local address ({address}), "
        "which is not allowed"
    )


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TRANSIENT = re.compile(
    r"bytes read, \d+ more expected|Downloaded \d+ bytes, expected \d+ bytes|timed? ?out|"
    r"connection (?:reset|refused|aborted)|"
    r"remote end closed|incompleteread|broken pipe|temporary failure|"
    r"HTTP Error 5\d\d|HTTP Error 429|Did not get any data blocks|network is unreachable|"
    r"giving up after",
    re.IGNORECASE,
)
# A body cut short, as http.client words it (received, missing) and as yt-dlp does (received,
# expected): the downloads' HTTP handler is urllib's, whose short reads yt-dlp reports itself.
_CUT_SHORT = re.compile(r"(\d+) bytes read, (\d+) more expected")
_CUT_SHORT_OF = re.compile(r"Downloaded (\d+) bytes, expected (\d+) bytes")
_PLAIN_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"No space left on device|Disk quota exceeded", re.I),
        STORAGE_FULL_MESSAGE,
    ),
    (
        re.compile(r"not a bot|Sign in to confirm", re.I),
        "YouTube asked for a sign-in to prove this server is not a bot, so it refused the "
        "download. Try again later, or download the video yourself and upload it.",
    ),
    (
        re.compile(r"Private video", re.I),
        "The video is private, so it cannot be downloaded.",
    ),
    (
        re.compile(r"members-only|Join this channel", re.I),
        "The video is for channel members only, so it cannot be downloaded.",
    ),
    (
        re.compile(r"age[- ]restricted|confirm your age", re.I),
        "The video is age-restricted and needs a signed-in account, so it cannot be downloaded.",
    ),
    (
        re.compile(r"Video unavailable|not available|has been removed|no longer available", re.I),
        "The video is unavailable: it was removed, made private, or is blocked in this region.",
    ),
    (
        re.compile(r"HTTP Error 403", re.I),
        "The video host refused the download (HTTP 403 Forbidden).",
    ),
    (
        re.compile(r"HTTP Error 404", re.I),
        "Nothing was found at that address (HTTP 404 Not Found).",
    ),
    (
        re.compile(r"Unsupported URL", re.I),
        "No video was found at that address.",
    ),
    (
        re.compile(r"larger than max-filesize|File is larger", re.I),
        "The video is larger than the upload size limit.",
    ),
)


def clean_message(text: str) -> str:
    text = _ANSI.sub("", text).replace("\r", " ").strip()
    text = re.sub(r"^ERROR:\s*", "", text)
    return re.sub(r"\s+", " ", text)


def is_transient(text: str) -> bool:
    """Whether a download error is worth retrying: network trouble, not a refusal."""
    cleaned = clean_message(text)
    if any(pattern.search(cleaned) for pattern, _ in _PLAIN_WORDS):
        return False
    return bool(_TRANSIENT.search(cleaned))


def _cut_short(cleaned: str) -> tuple[int, int] | None:
    cut = _CUT_SHORT.search(cleaned)
    if cut:
        return int(cut.group(1)), int(cut.group(2))
    cut = _CUT_SHORT_OF.search(cleaned)
    if cut:
        return int(cut.group(1)), int(cut.group(2)) - int(cut.group(1))
    return None


def explain(text: str) -> str:
    """yt-dlp's error in words a user can act on, keeping its own text when it is unfamiliar."""
    cleaned = clean_message(text)
    for pattern, words in _PLAIN_WORDS:
        if pattern.search(cleaned):
            return words
    received_missing = _cut_short(cleaned)
    if received_missing:
        return (
            "The video host closed the connection before the whole video arrived "
            f"({received_missing[0]} bytes received, {received_missing[1]} missing)."
        )
    if _TRANSIENT.search(cleaned):
        return f"The connection to the video host failed ({cleaned[:300]})."
    return f"The download failed: {cleaned[:500]}"
