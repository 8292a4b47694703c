"""Gzip assembled from separately deflated pieces reads back as the joined body, in any reader."""

from __future__ import annotations

import gzip
import io
import random
import zlib

import pytest

from adda_dashboard.services.piecewise_gzip import PiecewiseGzip


class Counting(PiecewiseGzip):
    def __init__(self) -> None:
        super().__init__()
        self.deflated: list[bytes] = []

    def _deflate(self, piece: bytes, before: bytes) -> bytes:
        self.deflated.append(piece)
        return super()._deflate(piece, before)


def _pieces(rng: random.Random, count: int) -> list[bytes]:
    words = [b'{"id":%d,"name":"row"}' % i for i in range(50)]
    return [b",".join(rng.choices(words, k=rng.randint(0, 80))) for _ in range(count)]


def _read_in_small_steps(data: bytes) -> bytes:
    reader = zlib.decompressobj(wbits=31)  # a gzip stream, as an HTTP client inflates it
    out = [reader.decompress(data[i : i + 7]) for i in range(0, len(data), 7)]
    out.append(reader.flush())
    assert reader.eof and not reader.unused_data
    return b"".join(out)


@pytest.mark.parametrize("count", [0, 1, 2, 40])
def test_every_reader_gets_the_joined_pieces(count: int) -> None:
    pieces = _pieces(random.Random(count), count)
    body = b"".join(pieces)
    packed = PiecewiseGzip().compress(pieces)
    assert gzip.decompress(packed) == body
    assert _read_in_small_steps(packed) == body
    with gzip.GzipFile(fileobj=io.BytesIO(packed)) as stream:
        assert stream.read() == body


def test_only_changed_pieces_and_their_followers_are_deflated_again() -> None:
    rng = random.Random(3)
    pieces = _pieces(rng, 30)
    gzipper = Counting()
    first = gzipper.compress(pieces)
    assert len(gzipper.deflated) == len(pieces)

    gzipper.deflated.clear()
    changed = list(pieces)
    changed[7] = b'{"id":7,"name":"changed"}'
    changed.insert(12, b'{"id":999,"name":"new"}')
    again = gzipper.compress(changed)
    # Each piece refers back into the one before: a change also re-deflates the next piece.
    assert gzipper.deflated == [changed[7], changed[8], changed[12], changed[13]]
    assert gzip.decompress(again) == b"".join(changed)
    assert again == PiecewiseGzip().compress(changed), "kept pieces give the same bytes"
    assert gzipper.compress(pieces) == first


def test_it_compresses() -> None:
    pieces = [b'{"Vertical Name":"SSC","Edit":"Final","id":%d}' % i * 20 for i in range(40)]
    packed = PiecewiseGzip().compress(pieces)
    assert len(packed) < len(b"".join(pieces)) / 5
