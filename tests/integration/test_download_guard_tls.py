"""HTTPS through the address guard: TLS wraps the socket the guard opened, and the certificate
is still checked against the host name (not against the address the guard dialled).

yt-dlp trusts certifi's bundle by default; these tests ask it for the system store instead
(``no-certifi``) and point that store at a certificate authority made for the test.
"""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yt_dlp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adda_dashboard.adapters.address_guard import AddressGuard
from adda_dashboard.adapters.guarded_ytdlp import GuardedYoutubeDL
from tests.video_support import Samples


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificates(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """A certificate authority, and a server certificate for ``host`` that it signed."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test CA"))
        .issuer_name(_name("Test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


class _TlsVideoHost:
    """An HTTPS server on 127.0.0.1 serving one MP4; remembers the names clients asked for."""

    def __init__(self, payload: bytes, cert: Path, key: Path) -> None:
        self.server_names: list[str | None] = []
        self.gets = 0
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:
                host.gets += 1
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.sni_callback = lambda _sock, name, _ctx: host.server_names.append(name)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls_host(
    tmp_path: Path, samples: Samples, monkeypatch: pytest.MonkeyPatch
) -> Iterator[_TlsVideoHost]:
    ca, cert, key = _certificates(tmp_path, "media.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    host = _TlsVideoHost(samples.vertical.read_bytes(), cert, key)
    yield host
    host.close()


def _fetch(url: str, dest: Path) -> dict[str, Any]:
    guard = AddressGuard(allow_loopback=True, resolver=lambda _host, _port: ["127.0.0.1"])
    params = {
        "outtmpl": str(dest / "video.%(ext)s"),
        "quiet": True,
        "noprogress": True,
        "retries": 0,
        "cachedir": False,
        "compat_opts": {"no-certifi"},
    }
    with GuardedYoutubeDL(params, guard.connections()) as ydl:
        return ydl.extract_info(url, download=True)


def test_https_is_downloaded_over_the_guarded_socket_with_the_name_verified(
    tls_host: _TlsVideoHost, tmp_path: Path
) -> None:
    info = _fetch(f"https://media.test:{tls_host.port}/clip.mp4", tmp_path)
    assert info["ext"] == "mp4"
    assert (tmp_path / "video.mp4").stat().st_size > 0
    assert tls_host.server_names and set(tls_host.server_names) == {"media.test"}


def test_a_certificate_for_another_name_is_still_refused(
    tls_host: _TlsVideoHost, tmp_path: Path
) -> None:
    with pytest.raises(yt_dlp.utils.DownloadError, match="CERTIFICATE_VERIFY_FAILED"):
        _fetch(f"https://other.test:{tls_host.port}/clip.mp4", tmp_path)
    assert tls_host.gets == 0
