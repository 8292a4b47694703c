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

Confirming also asks for the password chosen at sign-up. The link reaches the owner of the
address, who may not be the one who signed up: without the password, the owner's click would
make a squatter's password valid. A wrong password leaves the link unspent and counts against
the account's sign-in failures (``LoginThrottle``), so the link is no way to guess it; the
owner claims the address by signing up again instead (``AuthService.signup`` replaces an
unconfirmed sign-up).
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
from adda_dashboard.adapters.passwords import verify_password
from adda_dashboard.adapters.rate_limits import LoginThrottle, SendThrottle
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
SIGNUP_PATH = "/ui/signup"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
NOT_VALID = (
    "This link is not valid: it may be cut short, or replaced by a newer link. Ask for a new one."
)
USED = "This link has already been used: the address is confirmed, so sign in."
EXPIRED = "This link has expired. Ask for a new one."
WRONG_PASSWORD = (
    "This link belongs to a sign-up with another password. If you did not sign up with this "
    "address, sign up again with your own password to claim it."
)
MAX_PASSWORD_CHARS = 1024


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


def _sign_up_password(value: Any) -> str:
    if value is None or value == "":
        raise Invalid(
            "'password' is required: the password chosen when signing up", field="password"
        )
    if not isinstance(value, str) or len(value) > MAX_PASSWORD_CHARS:
        raise Invalid(
            f"'password' must be a string of at most {MAX_PASSWORD_CHARS} characters",
            field="password",
        )
    return value


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
        login_throttle: LoginThrottle,
        public_base_url: str,
        link_ttl: timedelta,
    ) -> None:
        self._db = db
        self._mailer = mailer
        self.throttle = throttle
        self._login_throttle = login_throttle
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
        signup_url = f"{self._base_url}{SIGNUP_PATH}"
        lifetime = self.lifetime()
        text = (
            f"Hello {link.username},\n\n"
            "An Adda Dashboard account was created with this email address. To confirm that "
            f"the address is yours, open this link within {lifetime}:\n\n{url}\n\n"
            "Confirming asks for the password chosen at sign-up; it does not sign you in.\n\n"
            "If you did not create this account, someone else used your address: do not "
            "confirm it. To claim the address, sign up again with your own password at "
            f"{signup_url} (this link then stops working), or ignore this message and the "
            "account can never be used.\n"
        )
        page = (
            f"<p>Hello {html.escape(link.username)},</p>"
            "<p>An Adda Dashboard account was created with this email address. To confirm that "
            f"the address is yours, open this link within {lifetime}:</p>"
            f'<p><a href="{html.escape(url)}">Confirm my email address</a></p>'
            "<p>Confirming asks for the password chosen at sign-up; it does not sign you in.</p>"
            "<p>If you did not create this account, someone else used your address: do not "
            "confirm it. To claim the address, "
            f'<a href="{html.escape(signup_url)}">sign up again</a> with your own password '
            "(this link then stops working), or ignore this message and the account can never "
            "be used.</p>"
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

    def confirm(self, body: Any, client_ip: str | None = None) -> dict[str, Any]:
        """``{"token", "password"}``: the emailed link and the password chosen at sign-up prove
        the address; nobody is signed in. A wrong password leaves the link unspent (400,
        ``field`` password) and counts as a failed sign-in of the account (429 past the limit).
        """
        if not body or not isinstance(body, Mapping):
            raise Invalid("No data provided", field="body")
        check_known_keys(body, ("token", "password"))
        token = _link_token(body.get("token"))
        password = _sign_up_password(body.get("password"))
        with self._db.read() as session:
            link = self._usable(session, token)
            user = users_repo.get_by_id(session, link.user_id)
            if user is None:
                raise Invalid(NOT_VALID, field="token")
            user_id, email, password_hash = user.id, user.email, user.password_hash
        # Hashing happens outside any transaction; the spend below checks nothing moved since.
        self._check_sign_up_password(email, password_hash, password, client_ip)
        with self._db.write() as session:
            user = users_repo.lock_by_ids(session, {user_id}).get(user_id)
            link = self._usable(session, token)
            if user is None or link.user_id != user_id or user.password_hash != password_hash:
                raise Invalid(NOT_VALID, field="token")  # a new sign-up replaced this one
            if not links_repo.mark_used_if_unused(session, link.id, utcnow()):
                raise Invalid(USED, field="token")
            if user.email_verified_at is None:
                user.email_verified_at = utcnow()
                user.updated_at = utcnow()
            links_repo.delete_unused_for_user(session, user.id)
        log.info("email_verified", user=email)
        return {
            "success": True,
            "message": "Your email address is confirmed: you can sign in now.",
            "email": email,
        }

    def _check_sign_up_password(
        self, email: str, password_hash: str | None, password: str, client_ip: str | None
    ) -> None:
        """The sign-in throttle's three moments, keyed by the account's address as a sign-in
        by email is, so guesses here and at the sign-in form share one budget."""
        wait = self._login_throttle.admit(email, client_ip)
        if wait:
            raise TooManyRequests(
                f"Too many wrong passwords. Try again in {wait} seconds.",
                field="password",
                headers={"Retry-After": str(wait)},
            )
        if not verify_password(password_hash, password):
            self._login_throttle.failed(client_ip)
            raise Invalid(WRONG_PASSWORD, field="password")
        self._login_throttle.succeeded(email)

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
