"""Proving the address of a password sign-up with a one-time emailed link.

Without it anyone could sign up with a colleague's address and a password of their choosing,
and the account would be waiting when the colleague first signed in with Google, the
attacker's password still working (account pre-hijacking). So a password sign-up cannot sign
in until the link mailed to its address is opened, and a Google sign-in of such an account
takes it over (``google_login``).

A link holds 32 random bytes of which only the SHA-256 is stored; it works once, for
``email_link_ttl_hours``, and a newer link of the same account replaces it. Opening it confirms
the address and signs nothing in; the page asks for a click first, so a mail scanner that
fetches every link confirms nothing. New links on request are limited per address
(``SendThrottle``), and the answer is the same whether or not an account is waiting, so it
reveals no account.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import structlog
from sqlalchemy.orm import Session

from adda_dashboard.adapters.mail import Mailer, MailError
from adda_dashboard.adapters.rate_limits import SendThrottle
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import EmailVerificationToken, User
from adda_dashboard.db.repositories import email_verifications as links_repo
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.entry_rules import check_email, check_known_keys, clean_text
from adda_dashboard.errors import Invalid, TooManyRequests, Unauthorized
from adda_dashboard.services.taxonomy import TaxonomyService

log = structlog.get_logger("adda_dashboard.verification")
CONFIRM_PATH = "/ui/signup/confirm"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
NOT_VALID = (
    "This link is not valid: it may be cut short, or replaced by a newer link. Ask for a new one."
)
USED = "This link has already been used: the address is confirmed, so sign in."
EXPIRED = "This link has expired. Ask for a new one."


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def unconfirmed(email: str) -> Unauthorized:
    """The sign-in refusal of an account whose address is not proven yet."""
    return Unauthorized(
        f"Confirm your email address first: a link was sent to {email}. Open it, then sign in "
        "again; no email? Ask for a new link.",
        field="email",
        extra={"email_verification_required": True, "email": email},
    )


def _aware(moment: datetime) -> datetime:
    """SQLite hands stored times back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _link_token(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid("'token' is required: open the link from the email", field="token")
    if not isinstance(value, str):
        raise Invalid("'token' must be a string, as in the emailed link", field="token")
    if not _TOKEN.match(value.strip()):
        raise Invalid(NOT_VALID, field="token")
    return value.strip()


@dataclass(frozen=True)
class PendingLink:
    """A link made inside a transaction, to be mailed once that transaction has committed."""

    email: str
    username: str
    token: str


class EmailVerificationService:
    def __init__(
        self,
        db: Database,
        mailer: Mailer,
        throttle: SendThrottle,
        taxonomy: TaxonomyService,
        *,
        public_base_url: str,
        link_ttl: timedelta,
    ) -> None:
        self._db = db
        self._mailer = mailer
        self.throttle = throttle
        self._taxonomy = taxonomy
        self._base_url = public_base_url.rstrip("/")
        self.link_ttl = link_ttl

    # Issuing -----------------------------------------------------------------------------------

    def issue(self, session: Session, user: User) -> PendingLink:
        """A new link for ``user`` inside the caller's transaction; older ones stop working."""
        token = secrets.token_urlsafe(32)
        links_repo.delete_unused_for_user(session, user.id)
        links_repo.insert(
            session,
            EmailVerificationToken(
                user_id=user.id,
                token_hash=token_digest(token),
                expires_at=utcnow() + self.link_ttl,
            ),
        )
        return PendingLink(user.email, user.username, token)

    def link_for(self, token: str) -> str:
        return f"{self._base_url}{CONFIRM_PATH}?token={quote(token)}"

    def send(self, link: PendingLink) -> bool:
        """Mail the link; False (and logged) when the mail server could not take it, so the
        caller can say so: the account stays, and a new link can be asked for."""
        url = self.link_for(link.token)
        lifetime = self.lifetime()
        text = (
            f"Hello {link.username},\n\n"
            "An Adda Dashboard account was created with this email address. To confirm that "
            f"the address is yours, open this link within {lifetime}:\n\n{url}\n\n"
            "Opening it confirms the address; it does not sign you in.\n\n"
            "If you did not create this account, do not open the link: ignore this message "
            "and the account can never be used.\n"
        )
        page = (
            f"<p>Hello {html.escape(link.username)},</p>"
            "<p>An Adda Dashboard account was created with this email address. To confirm that "
            f"the address is yours, open this link within {lifetime}:</p>"
            f'<p><a href="{html.escape(url)}">Confirm my email address</a></p>'
            "<p>Opening it confirms the address; it does not sign you in.</p>"
            "<p>If you did not create this account, do not open the link: ignore this message "
            "and the account can never be used.</p>"
        )
        try:
            self._mailer.send(
                link.email, "Confirm your email address for Adda Dashboard", text, page
            )
        except MailError as exc:
            log.error("verification_mail_failed", error=exc.reason)
            return False
        return True

    def lifetime(self) -> str:
        hours = int(self.link_ttl.total_seconds() // 3600)
        return "1 hour" if hours == 1 else f"{hours} hours"

    # Opening a link ----------------------------------------------------------------------------

    def check(self, token: Any) -> str:
        """The address a link would confirm, without spending it (the page before the click)."""
        token = _link_token(token)
        with self._db.read() as session:
            link = self._usable(session, token)
            user = users_repo.get_by_id(session, link.user_id)
            if user is None:
                raise Invalid(NOT_VALID, field="token")
            return user.email

    def confirm(self, body: Any) -> dict[str, Any]:
        """``{"token": ...}`` from the emailed link: the address is proven; nobody is signed in."""
        if not body or not isinstance(body, Mapping):
            raise Invalid("No data provided", field="body")
        check_known_keys(body, ("token",))
        token = _link_token(body.get("token"))
        with self._db.write() as session:
            link = self._usable(session, token)
            if not links_repo.mark_used_if_unused(session, link.id, utcnow()):
                raise Invalid(USED, field="token")
            user = users_repo.get_by_id(session, link.user_id)
            if user is None:
                raise Invalid(NOT_VALID, field="token")
            if user.email_verified_at is None:
                user.email_verified_at = utcnow()
                user.updated_at = utcnow()
            links_repo.delete_unused_for_user(session, user.id)
            email = user.email
        log.info("email_verified", user=email)
        return {
            "success": True,
            "message": "Your email address is confirmed: you can sign in now.",
            "email": email,
        }

    @staticmethod
    def _usable(session: Session, token: str) -> EmailVerificationToken:
        link = links_repo.get_by_token_hash(session, token_digest(token))
        if link is None:
            raise Invalid(NOT_VALID, field="token")
        if link.used_at is not None:
            raise Invalid(USED, field="token")
        if _aware(link.expires_at) <= utcnow():
            raise Invalid(EXPIRED, field="token")
        return link

    # New links on request ----------------------------------------------------------------------

    def resend(self, body: Any) -> dict[str, Any]:
        """``{"email"}``: a new link if an account of that address awaits one; the same answer
        either way, and at most ``verification_resend_max`` per address per window (429)."""
        if not body or not isinstance(body, Mapping):
            raise Invalid("No data provided", field="body")
        check_known_keys(body, ("email",))
        raw = body.get("email")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise Invalid("Email is required", field="email")
        email = check_email(
            clean_text("email", raw, max_length=254),
            self._taxonomy.current.allowed_email_domains,
            field="email",
        )
        wait = self.throttle.admit(email)
        if wait:
            raise TooManyRequests(
                f"Too many new links asked for this address. Try again in {wait} seconds.",
                field="email",
                headers={"Retry-After": str(wait)},
            )
        link = None
        with self._db.write() as session:
            user = users_repo.get_by_email(session, email)
            if user is not None and user.email_verified_at is None and user.is_active:
                link = self.issue(session, user)
        if link is not None:
            self.send(link)
        return {
            "success": True,
            "message": (
                f"If an account with {email} is waiting for its address to be confirmed, a new "
                f"link is on its way; it works for {self.lifetime()}."
            ),
        }
