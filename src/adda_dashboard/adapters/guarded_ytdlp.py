"""yt-dlp with every connection opened through the address guard.

yt-dlp sends every HTTP(S) request, the page, each redirect hop, manifests, fragments and the
media itself, through the request director of its ``YoutubeDL`` object. ``GuardedYoutubeDL``
builds that director with a single handler: yt-dlp's urllib handler, whose connections take
their socket from ``GuardedConnections.connect`` through ``http.client``'s per-connection
``_create_connection`` hook (the hook yt-dlp itself sets to its own ``create_connection``). TLS
wraps the guarded socket, so HTTPS is verified against the host name as before.

Nothing process-wide changes: yt-dlp's handler registry, its module globals and the socket
module are left alone, and each download has its own ``YoutubeDL``, director and
``GuardedConnections``, so the worker's download threads share none of it. yt-dlp's requests
handler is left out because urllib3 opens sockets inside its connection pools, which could only
be guarded through custom pool and connection classes; the cost of urllib is that connections
are not kept alive between requests (each fragment of a segmented stream connects, and is
judged, anew).

What the handler does not do, because the guard would not see it: ftp and file URLs (urllib's
FTP handler dials by itself), proxies (the guard would judge the proxy instead of the host),
and downloads yt-dlp hands to an outside program (ffmpeg, rtmpdump, aria2c...), which are
refused before they start.
"""

from __future__ import annotations

import functools
import http.client
import urllib.request
from typing import Any

import yt_dlp
from yt_dlp.downloader import get_suitable_downloader
from yt_dlp.downloader.dash import DashSegmentsFD
from yt_dlp.downloader.external import ExternalFD
from yt_dlp.downloader.f4m import F4mFD
from yt_dlp.downloader.hls import HlsFD
from yt_dlp.downloader.http import HttpFD
from yt_dlp.downloader.ism import IsmFD
from yt_dlp.networking._urllib import HTTPHandler, RedirectHandler, UrllibRH

from adda_dashboard.adapters.address_guard import GuardedConnections

# Downloaders that fetch through the YoutubeDL object's director, and so through the guard.
IN_PROCESS_DOWNLOADERS = (HttpFD, HlsFD, DashSegmentsFD, IsmFD, F4mFD)


class OutsideProgramRefused(yt_dlp.utils.DownloadError):
    """The format would be fetched by a program whose connections the guard cannot see."""


class _GuardedHTTPHandler(HTTPHandler):
    def __init__(self, connections: GuardedConnections, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._connections = connections

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(self._connection, http.client.HTTPConnection), req)

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(
            functools.partial(self._connection, http.client.HTTPSConnection),
            req,
            context=self._context,
        )

    def _connection(
        self, connection_class: type[http.client.HTTPConnection], *args: Any, **kwargs: Any
    ) -> http.client.HTTPConnection:
        connection = connection_class(*args, **kwargs)
        connection._create_connection = self._connections.connect  # type: ignore[attr-defined]
        if self._source_address is not None:
            connection.source_address = (self._source_address, 0)
        return connection


class GuardedUrllibRH(UrllibRH):
    """yt-dlp's urllib handler limited to http(s) and data URLs, without proxies, with every
    socket opened by the guard."""

    _SUPPORTED_URL_SCHEMES = ("http", "https", "data")
    _SUPPORTED_PROXY_SCHEMES = ()
    _SUPPORTED_FEATURES = ()
    RH_NAME = "guarded-urllib"

    def __init__(self, *, connections: GuardedConnections, **kwargs: Any) -> None:
        kwargs["enable_file_urls"] = False
        super().__init__(**kwargs)
        self._connections = connections

    def _create_instance(
        self, proxies: Any, cookiejar: Any, legacy_ssl_support: bool | None = None
    ) -> urllib.request.OpenerDirector:
        opener = urllib.request.OpenerDirector()
        handlers: tuple[urllib.request.BaseHandler, ...] = (
            _GuardedHTTPHandler(
                self._connections,
                debuglevel=int(bool(self.verbose)),
                context=self._make_sslcontext(legacy_ssl_support=legacy_ssl_support),
                source_address=self.source_address,
            ),
            urllib.request.HTTPCookieProcessor(cookiejar),
            urllib.request.DataHandler(),
            urllib.request.UnknownHandler(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
            RedirectHandler(),
        )
        for handler in handlers:
            opener.add_handler(handler)
        opener.addheaders = []  # as yt-dlp's own: no urllib User-Agent
        return opener


class GuardedYoutubeDL(yt_dlp.YoutubeDL):
    """A ``YoutubeDL`` whose only way out is ``connections``."""

    def __init__(self, params: dict[str, Any], connections: GuardedConnections) -> None:
        self._connections = connections  # before yt-dlp's own set-up, which may send requests
        super().__init__({**params, "proxy": ""})

    def build_request_director(self, handlers: Any, preferences: Any = None) -> Any:
        handler = functools.partial(GuardedUrllibRH, connections=self._connections)
        return super().build_request_director([handler], [])

    def dl(
        self, name: str, info: dict[str, Any], subtitle: bool = False, test: bool = False
    ) -> Any:
        """Refuse, before it starts, a download yt-dlp would hand to an outside program."""
        chosen = get_suitable_downloader(info, self.params, to_stdout=(name == "-"))
        if (
            chosen is None
            or not issubclass(chosen, IN_PROCESS_DOWNLOADERS)
            or issubclass(chosen, ExternalFD)
        ):
            protocol = info.get("protocol", "unknown")
            raise OutsideProgramRefused(
                f"The video is only offered over {protocol}, which this server does not download"
            )
        return super().dl(name, info, subtitle=subtitle, test=test)
