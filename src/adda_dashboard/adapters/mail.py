"""Outgoing email behind one small port: SMTP when configured, else the log.

Sign-up links use it today and later notifications will too, so it knows nothing of what it
carries: ``send(to, subject, text, html=None)``. The composition root chooses the adapter: SMTP
when ``ADDA_SMTP_URL`` is set (``smtp://user:pass@host:port``, ``smtps://`` for TLS from the
first byte, ``ADDA_SMTP_STARTTLS`` to upgrade a plain connection), else the log adapter, which
writes each message, links included, to the log so that a developer can follow them.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol
from urllib.parse import unquote, urlsplit

import structlog

log = structlog.get_logger("adda_dashboard.mail")
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class MailError(Exception):
    """The message could not be handed to the mail server; ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        """Hand one message to the mail system; raises ``MailError`` when it cannot."""
        ...


def compose(sender: str, to: str, subject: str, text: str, html: str | None) -> EmailMessage:
    """A plain-text message, with an HTML alternative when given. The standard library refuses
    a line break in a header, so no value can add headers of its own."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand messages over, read from ``ADDA_SMTP_URL``."""

    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool

    @classmethod
    def from_url(cls, url: str, *, starttls: bool = False) -> SmtpServer:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ValueError(f"ADDA_SMTP_URL must start with smtp:// or smtps://, not {scheme!r}")
        if not parts.hostname:
            raise ValueError("ADDA_SMTP_URL names no host (smtp://user:pass@host:port)")
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError:
            raise ValueError("ADDA_SMTP_URL has a port that is not a number") from None
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=scheme == "smtps",
            starttls=starttls and scheme == "smtp",
        )


class SmtpMailer:
    """One connection per message: mail is rare here (sign-ups), and a fresh connection never
    finds the server has closed an idle one."""

    def __init__(self, server: SmtpServer, sender: str, *, timeout_s: float = 10.0) -> None:
        self.server = server
        self.sender = sender
        self.timeout_s = timeout_s

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        message = compose(self.sender, to, subject, text, html)
        server = self.server
        try:
            with self._connect() as smtp:
                if server.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if server.username:
                    smtp.login(server.username, server.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.error("mail_failed", host=server.host, port=server.port, error=reason)
            raise MailError(reason) from exc
        log.info("mail_sent", host=server.host, subject=subject)

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        if server.implicit_tls:
            return smtplib.SMTP_SSL(
                server.host,
                server.port,
                timeout=self.timeout_s,
                context=ssl.create_default_context(),
            )
        return smtplib.SMTP(server.host, server.port, timeout=self.timeout_s)


class LogMailer:
    """No mail server configured: each message goes to the log instead, in full."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        compose(self.sender, to, subject, text, html)  # the same refusals as a real send
        log.warning("mail_not_sent_no_smtp", to=to, subject=subject, text=text)
