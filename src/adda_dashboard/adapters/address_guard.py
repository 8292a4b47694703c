"""The address guard: every connection a download makes is judged at the moment it is made.

Checking the submitted URL once is not enough: the host can answer with a redirect, a page can
name its media on another host, and a name can resolve to a public address when the request is
checked and to 127.0.0.1 a second later (DNS rebinding). So the guard sits where a socket is
opened: it resolves the name once, judges every address the answer holds
(``domain.downloads.may_connect``), and connects to exactly the address it judged, so nothing
resolves the name a second time. It works below TLS: the TLS layer wraps the socket the guard
returns and still checks the certificate against the host name.

Why written here rather than taken from a library: the maintained SSRF libraries wrap one
HTTP client (``advocate`` wraps requests and has not been released since 2020; ``safehttpx``
is an async httpx client), and yt-dlp uses neither. What yt-dlp needs is a function with
``socket.create_connection``'s signature, which is what ``connect`` is; the judgement itself is
the standard library's ``ipaddress`` plus our own tables. The resolver is a constructor
parameter so that tests can answer names as a rebinding DNS server would.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Sequence

from adda_dashboard.domain.downloads import may_connect, refused_host_message

Resolver = Callable[[str, int], Sequence[str]]
Timeout = float | None | object  # socket._GLOBAL_DEFAULT_TIMEOUT is a bare object()


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer for ``host``, each address once, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class AddressRefused(OSError):
    """A connection the guard would not open. An ``OSError``, so that HTTP clients treat it as
    the failed connect it is and stop; ``address`` is the address that was refused."""

    def __init__(self, message: str, *, host: str, address: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.host = host
        self.address = address


class AddressGuard:
    """Judges and opens connections; one per process, shared by every download's threads."""

    def __init__(self, *, allow_loopback: bool, resolver: Resolver = system_resolver) -> None:
        self.allow_loopback = allow_loopback
        self._resolve = resolver

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``; AddressRefused when any of them is refused
        (a name that mixes public and private answers is not trusted with either). A name that
        does not resolve raises the resolver's own error: that is a network failure."""
        found = [host] if _is_literal(host) else list(self._resolve(host, port))
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, f"No address found for {host!r}")
        for address in found:
            if not may_connect(address, allow_loopback=self.allow_loopback):
                raise AddressRefused(
                    refused_host_message(host, address), host=host, address=address
                )
        return found

    def check_host(self, host: str, port: int | None) -> None:
        """The check made when a download is requested, so that a plain refusal is a 400."""
        try:
            self.addresses(host, port or 443)
        except AddressRefused:
            raise
        except (OSError, UnicodeError) as exc:
            raise AddressRefused(
                f"The host {host!r} could not be resolved", host=host, address=None
            ) from exc

    def connections(self) -> GuardedConnections:
        """A connection opener for one download, which remembers what it refused."""
        return GuardedConnections(self)


class GuardedConnections:
    """Opens one download's connections through the guard and keeps its refusals, so that the
    downloader can report a refusal as one whatever error the HTTP client made of it."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._lock = threading.Lock()
        self.refused: list[AddressRefused] = []

    def connect(
        self,
        address: tuple[str, int],
        timeout: Timeout = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
        source_address: tuple[str, int] | None = None,
    ) -> socket.socket:
        """``socket.create_connection``, except that only judged addresses are dialled."""
        host, port = address
        try:
            candidates = self._guard.addresses(host, port)
        except AddressRefused as refusal:
            with self._lock:
                self.refused.append(refusal)
            raise
        error: OSError | None = None
        for candidate in candidates:
            try:
                return _dial(candidate, port, timeout, source_address)
            except OSError as exc:
                error = exc
        assert error is not None  # candidates is never empty
        raise error


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _dial(
    address: str, port: int, timeout: Timeout, source_address: tuple[str, int] | None
) -> socket.socket:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
            sock.settimeout(timeout)  # type: ignore[arg-type]
        if source_address:
            sock.bind(source_address)
        sock.connect((str(ip), port))
        return sock
    except OSError:
        sock.close()
        raise
