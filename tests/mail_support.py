"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it is handed, so tests
read the mail the application sent, and the links in it, as a person would."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

LINK = re.compile(r"https?://\S+/ui/signup/confirm\?token=[A-Za-z0-9_%-]+")


@dataclass
class Inbox:
    """What the server received: each message, and who signed in to hand it over."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def last_link(self, address: str) -> str:
        """The confirmation link of the newest message to ``address``."""
        mails = self.to(address)
        assert mails, f"no mail to {address}"
        return link_in(mails[-1])


def link_in(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = LINK.findall(body.get_content())
    assert len(found) == 1, found
    return found[0]


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


class _Keeper:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.inbox._lock:
            self.inbox.messages.append(message)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(credentials: tuple[str, str] | None = None) -> Iterator[Inbox]:
    """A server on a free port; with ``credentials`` it offers AUTH over plain SMTP (the
    connection never leaves the machine) and refuses other credentials."""
    inbox = Inbox("127.0.0.1", _free_port())

    def authenticator(
        _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or credentials is None:
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        if (login, password) != credentials:
            return AuthResult(success=False, handled=False)
        inbox.logins.append(login)
        return AuthResult(success=True)

    extra: dict[str, Any] = {}
    if credentials is not None:
        extra = {"authenticator": authenticator}
    controller = Controller(
        _Keeper(inbox),
        hostname=inbox.host,
        port=inbox.port,
        auth_require_tls=False,
        **extra,
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
