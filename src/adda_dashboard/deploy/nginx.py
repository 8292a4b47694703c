"""The nginx site in front of several ``serve --prod`` servers (``adda-dashboard deploy nginx``).

Rendered rather than shipped as a fixed file because its limits must match the app servers'
settings (the header timeout, the largest upload, the longest synchronous download) and its
upstream list and static directory differ per installation. The values that reach the template
are checked here, so no argument can smuggle nginx syntax (``;``, braces, quotes) into the file.
"""

from __future__ import annotations

import ipaddress
import math
import re
import shlex
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from adda_dashboard.settings import Settings

# A synchronous download answers after at most ADDA_DOWNLOAD_SYNC_TIMEOUT_SECONDS; nginx waits
# this much longer so the app's own timeout answer, not nginx's 504, reaches the client.
LONG_READ_MARGIN_S = 30
NORMAL_READ_TIMEOUT_S = 60
MAX_TRIES = 3  # attempts of one idempotent request over the servers, the first included
_HOSTNAME = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$")
_SERVER_NAME = re.compile(r"^[A-Za-z0-9_.*~^$-]+$")
_UNSAFE_IN_PATH = set(";{}\"'\\#$") | {" ", "\t", "\n", "\r"}


@dataclass(frozen=True)
class NginxSite:
    """Everything the template needs, already in nginx's spelling."""

    listen: str
    upstreams: tuple[str, ...]
    server_name: str
    static_dir: str
    header_timeout: str
    body_timeout: str
    max_body_mb: int
    connections_per_client: int
    requests_per_second: int
    long_read_timeout: str
    command: str
    settings_used: tuple[tuple[str, str], ...]

    @property
    def next_upstream_tries(self) -> int:
        return min(len(self.upstreams), MAX_TRIES)


def parse_address(text: str, *, option: str) -> str:
    """``HOST:PORT`` (``[v6]:PORT`` for IPv6) as nginx writes it; ValueError naming the option."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{option} {text!r}: expected HOST:PORT with a port from 1 to 65535")
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValueError(f"{option} {text!r}: {host} is not an IPv6 address") from None
    elif host != "*" and not _HOSTNAME.match(host):
        raise ValueError(f"{option} {text!r}: {host!r} is not a host name or address")
    return f"{host}:{int(port)}"


def packaged_static_dir() -> Path:
    """The dashboard's static files of the installed package, which nginx serves itself."""
    return Path(str(resources.files("adda_dashboard").joinpath("http", "static")))


def nginx_duration(seconds: float) -> str:
    """Whole seconds as ``10s``; a fraction rounded up to milliseconds (``2500ms``)."""
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{math.ceil(seconds * 1000)}ms"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def build_site(
    settings: Settings,
    *,
    listen: str,
    upstreams: list[str],
    server_name: str = "_",
    static_dir: Path | None = None,
    requests_per_second: int = 50,
) -> NginxSite:
    """Check the arguments and take the limits from ``settings`` (those of the app servers)."""
    if not upstreams:
        raise ValueError("--upstream: give at least one app server as HOST:PORT")
    if not _SERVER_NAME.match(server_name):
        raise ValueError(f"--server-name {server_name!r}: one name, no spaces or ';'")
    static = str(static_dir) if static_dir is not None else str(packaged_static_dir())
    if not static.startswith("/") or _UNSAFE_IN_PATH.intersection(static):
        raise ValueError(f"--static-dir {static!r}: an absolute path without spaces or quotes")
    command = ["adda-dashboard", "deploy", "nginx", "--listen", listen]
    for upstream in upstreams:
        command += ["--upstream", upstream]
    if server_name != "_":
        command += ["--server-name", server_name]
    if static_dir is not None:
        command += ["--static-dir", str(static_dir)]
    if requests_per_second != 50:
        command += ["--requests-per-second", str(requests_per_second)]
    used = (
        ("ADDA_HEADER_TIMEOUT_SECONDS", settings.header_timeout_seconds),
        ("ADDA_BODY_GRACE_SECONDS", settings.body_grace_seconds),
        ("ADDA_VIDEO_MAX_UPLOAD_MB", settings.video_max_upload_mb),
        ("ADDA_MAX_CONNECTIONS_PER_ADDRESS", settings.max_connections_per_address),
        ("ADDA_DOWNLOAD_SYNC_TIMEOUT_SECONDS", settings.download_sync_timeout_seconds),
    )
    return NginxSite(
        listen=parse_address(listen, option="--listen"),
        upstreams=tuple(parse_address(item, option="--upstream") for item in upstreams),
        server_name=server_name,
        static_dir=static.rstrip("/") + "/",
        header_timeout=nginx_duration(settings.header_timeout_seconds),
        body_timeout=nginx_duration(settings.body_grace_seconds),
        max_body_mb=settings.video_max_upload_mb,
        connections_per_client=settings.max_connections_per_address,
        requests_per_second=requests_per_second,
        long_read_timeout=nginx_duration(
            math.ceil(settings.download_sync_timeout_seconds) + LONG_READ_MARGIN_S
        ),
        command=shlex.join(command),
        settings_used=tuple((name, _number(value)) for name, value in used),
    )


def render_nginx(site: NginxSite) -> str:
    """The site file: include it inside ``http {}`` (it declares the upstream and the zones)."""
    env = Environment(
        loader=PackageLoader("adda_dashboard", "deploy"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # nginx syntax, not HTML; every value is checked in build_site
    )
    return env.get_template("nginx.conf.j2").render(
        site=site, normal_read_timeout=nginx_duration(NORMAL_READ_TIMEOUT_S)
    )
