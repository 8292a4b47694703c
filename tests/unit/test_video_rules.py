"""Pure video rules: the Shorts verdict, container sniffing, truncation, download errors, and
which addresses may be fetched."""

from __future__ import annotations

import ipaddress
import struct

import pytest

from adda_dashboard.domain import video_format as vf
from adda_dashboard.domain.downloads import (
    METADATA_ADDRESSES,
    explain,
    is_public_address,
    is_transient,
    may_connect,
    refused_connection_message,
    refused_host_message,
)
from adda_dashboard.domain.shorts import display_size, shorts_verdict


@pytest.mark.parametrize(
    ("width", "height", "seconds", "qualifies", "warnings"),
    [
        (1080, 1920, 59, True, 0),
        (1080, 1080, 180, True, 0),
        (1080, 1920, 180.4, True, 0),  # a frame's overshoot is not a real extra second
        (1080, 1920, 181, False, 1),
        (1920, 1080, 30, False, 1),
        (1920, 1080, 600, False, 2),
        (None, None, None, False, 2),
    ],
)
def test_shorts_verdict(
    width: int | None, height: int | None, seconds: float | None, qualifies: bool, warnings: int
) -> None:
    verdict = shorts_verdict(width, height, seconds)
    assert verdict.qualifies is qualifies
    assert len(verdict.warnings) == warnings


def test_a_phone_video_stored_sideways_counts_as_vertical() -> None:
    assert display_size(1920, 1080, 90) == (1080, 1920)
    assert display_size(1920, 1080, -90) == (1080, 1920)
    assert display_size(1920, 1080, 180) == (1920, 1080)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", vf.MP4),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", vf.QUICKTIME),
        (b"\x00\x00\x00\x14ftyp3gp5\x00\x00\x00\x00", vf.THREE_GP),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", vf.MATROSKA),
        (b"RIFF\x00\x00\x00\x00AVI LIST", vf.AVI),
        (b"FLV\x01\x05\x00\x00\x00\x09", vf.FLV),
        (b"\x00\x00\x01\xba\x44\x00\x04", vf.MPEG_PS),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"%PDF-1.7\n", None),
        (b"", None),
    ],
)
def test_containers_are_named_by_their_first_bytes(
    head: bytes, kind: vf.ContainerKind | None
) -> None:
    assert vf.sniff_container(head) is kind


def _boxes(*sizes: tuple[bytes, int]) -> bytes:
    return b"".join(struct.pack(">I4s", size, kind) + b"\x00" * (size - 8) for kind, size in sizes)


def test_iso_boxes_must_end_exactly_at_the_end_of_the_file() -> None:
    whole = _boxes((b"ftyp", 24), (b"moov", 100), (b"mdat", 400))

    def reader(data: bytes):  # type: ignore[no-untyped-def]
        return lambda offset, n: data[offset : offset + n]

    assert vf.iso_boxes_fit(reader(whole), len(whole))
    cut = whole[:-50]
    assert not vf.iso_boxes_fit(reader(cut), len(cut))
    assert not vf.iso_boxes_fit(reader(whole + b"junk"), len(whole) + 4)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:2800:220:1::", True),
        ("2a00:1450:4001:82b::200e", True),
        ("2002:5db8:d822::", True),  # 6to4 around the public 93.184.216.34
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("10.0.0.5", False),
        ("172.16.3.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("100.127.255.254", False),
        ("192.0.0.8", False),
        ("192.0.2.1", False),
        ("198.18.0.1", False),
        ("198.51.100.7", False),
        ("203.0.113.9", False),
        ("192.88.99.1", False),
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("fec0::1", False),
        ("fd00::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("ff0e::1", False),
        ("2001:db8::1", False),
        ("3fff::1", False),
        ("100::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:8.8.8.8", False),  # mapped forms are refused whatever they carry
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::8.8.8.8", False),
        ("::ffff:0:7f00:1", False),  # IPv4-translated
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("2002:a9fe:a9fe::", False),  # 6to4 around 169.254.169.254
        ("2002:a00:1::", False),  # 6to4 around 10.0.0.1
        ("2002:6440:1::", False),  # 6to4 around 100.64.0.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("2001::1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 around 127.0.0.1
        ("64:ff9b::808:808", False),  # NAT64 is refused whatever it carries
        ("64:ff9b:1::1", False),
        ("not an address", False),
        ("", False),
    ],
)
def test_only_public_addresses_may_be_fetched(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack
        "169.254.170.2",  # AWS ECS
        "169.254.0.23",  # Tencent
        "100.100.100.200",  # Alibaba
        "168.63.129.16",  # Azure WireServer: a public address
        "192.0.0.192",  # Oracle
        "fd00:ec2::254",  # AWS over IPv6
    ],
)
def test_cloud_metadata_addresses_are_refused_even_with_the_loopback_allowance(
    address: str,
) -> None:
    assert ipaddress.ip_address(address) in METADATA_ADDRESSES
    assert not is_public_address(address)
    assert not may_connect(address, allow_loopback=True)


@pytest.mark.parametrize(
    ("address", "with_allowance"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("93.184.216.34", True),
        ("::ffff:127.0.0.1", False),  # reaches 127.0.0.1 from an IPv6 socket, but is no
        ("0.0.0.0", False),  # loopback address: only the addresses themselves are opened
        ("::", False),
        ("2002:7f00:1::", False),  # goes to a 6to4 relay, not to this machine
        ("64:ff9b::7f00:1", False),
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("169.254.1.1", False),
        ("100.64.0.1", False),
        ("fe80::1", False),
        ("fd12:3456::1", False),
    ],
)
def test_the_loopback_allowance_opens_loopback_and_nothing_else(
    address: str, with_allowance: bool
) -> None:
    assert may_connect(address, allow_loopback=True) is with_allowance
    assert may_connect(address, allow_loopback=False) is is_public_address(address)


def test_refusals_name_the_refused_address_in_plain_words() -> None:
    assert refused_connection_message("127.0.0.1") == (
        "The video host sent the download to a private or local address (127.0.0.1), "
        "which is not allowed"
    )
    assert "(10.0.0.7)" in refused_host_message("intranet.example", "10.0.0.7")
    assert "private or local address" in refused_host_message("10.0.0.7", "10.0.0.7")


@pytest.mark.parametrize(
    ("text", "transient", "words"),
    [
        ("ERROR: [youtube] abc: Sign in to confirm you’re not a bot", False, "not a bot"),
        ("ERROR: [youtube] abc: Video unavailable", False, "unavailable"),
        ("ERROR: [youtube] abc: Private video. Sign in", False, "private"),
        ("ERROR: unable to download video data: HTTP Error 403: Forbidden", False, "403"),
        ("ERROR: \r[download] Got error: 10 bytes read, 20 more expected", True, "closed"),
        ("ERROR: [download] Got error: Downloaded 10 bytes, expected 30 bytes", True, "20 missing"),
        (
            "ERROR: unable to download video data: HTTP Error 503: Service Unavailable",
            True,
            "connection",
        ),
        ("ERROR: Unable to download webpage: <urlopen error timed out>", True, "connection"),
        ("ERROR: something entirely new", False, "something entirely new"),
    ],
)
def test_download_errors_in_plain_words(text: str, transient: bool, words: str) -> None:
    assert is_transient(text) is transient
    assert words in explain(text)
    assert "ERROR:" not in explain(text)
