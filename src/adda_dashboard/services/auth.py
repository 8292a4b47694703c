"""Sign-in, tokens and the token check every protected endpoint goes through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from sqlalchemy.orm import Session

from adda_dashboard.adapters.passwords import hash_password, needs_rehash, verify_password
from adda_dashboard.adapters.rate_limits import LoginThrottle
from adda_dashboard.adapters.tokens import TokenSigner
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import User
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.entry_rules import (
    check_email,
    check_known_keys,
    check_sign_in_name,
    check_username,
    clean_text,
)
from adda_dashboard.domain.roles import LEGACY_REFUSAL, Actor, Role
from adda_dashboard.errors import Conflict, Forbidden, Invalid, TooManyRequests, Unauthorized
from adda_dashboard.services.email_verification import EmailVerificationService, unconfirmed
from adda_dashboard.services.request_gate import require_current, verified_claims
from adda_dashboard.services.taxonomy import TaxonomyService
from adda_dashboard.services.users import check_password, insert_unique_user

log = structlog.get_logger("adda_dashboard.auth")
BAD_CREDENTIALS = "Invalid email or password"


class AuthService:
    def __init__(
        self,
        db: Database,
        signer: TokenSigner,
        taxonomy: TaxonomyService,
        *,
        throttle: LoginThrottle,
        verification: EmailVerificationService,
        legacy_email_login: bool = False,
    ) -> None:
        self._db = db
        self._verification = verification
        self._throttle = throttle
        self._signer = signer
        self._taxonomy = taxonomy
        self.legacy_email_login = legacy_email_login

    # The token check ---------------------------------------------------------------------------

    # Sign-in -----------------------------------------------------------------------------------

    def login(self, body: Any, client_ip: str | None = None) -> dict[str, Any]:
        """``{email or username, password}``; email alone only with the legacy setting on.

        Failed passwords are limited per account and per client address (429 with
        ``Retry-After``). A limited attempt is refused before any hashing: the refusal depends
        only on counters kept alike for existing and unknown accounts, so it reveals nothing,
        and a flood of refused guesses costs no argon2 work.
        """
        if not body or not isinstance(body, Mapping):
            raise Invalid("No data provided", field="body")
        check_known_keys(body, ("email", "username", "password"))
        identifier = body.get("email") or body.get("username")
        if identifier is None or (isinstance(identifier, str) and not identifier.strip()):
            raise Invalid("Email is required", field="email")
        field = "email" if body.get("email") else "username"
        identifier = check_sign_in_name(clean_text(field, identifier, max_length=254), field)
        password = body.get("password")
        if password is None or password == "":
            return self._email_only_login(identifier)
        if not isinstance(password, str) or len(password) > 1024:
            raise Invalid(
                "'password' must be a string of at most 1024 characters", field="password"
            )
        wait = self._throttle.admit(identifier, client_ip)
        if wait:
            raise TooManyRequests(
                f"Too many failed sign-in attempts. Try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )
        try:
            response = self._password_login(identifier, password)
        except Unauthorized:  # the right password of an account whose address is unproven
            self._throttle.succeeded(identifier)
            raise
        if response is None:
            self._throttle.failed(client_ip)
            raise Unauthorized(BAD_CREDENTIALS, field="password")
        self._throttle.succeeded(identifier)
        return response

    def _password_login(self, identifier: str, password: str) -> dict[str, Any] | None:
        """The session for the right password of an active account, else None; 401 asking to
        open the emailed link when the account's address is not proven yet (said only to
        whoever knows the password, so it reveals no account)."""
        with self._db.write() as session:
            user = (
                users_repo.get_by_email(session, identifier)
                if "@" in identifier
                else users_repo.get_by_username(session, identifier)
            )
            ok = verify_password(user.password_hash if user else None, password)
            if not ok or user is None or not user.is_active:
                return None
            if user.email_verified_at is None:
                raise unconfirmed(user.email)
            if user.password_hash and needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = utcnow()
            return self._session_response(user, "Password")

    def _email_only_login(self, email: str) -> dict[str, Any]:
        if not self.legacy_email_login:
            raise Unauthorized(
                "Password is required: sign-in by email alone is disabled on this server",
                field="password",
            )
        if "@" not in email:
            raise Invalid("Invalid email format", field="email")
        domains = self._taxonomy.current.allowed_email_domains
        if email.rsplit("@", 1)[1].lower() not in domains:
            raise Forbidden(
                f"Access denied. Only emails from {', '.join(domains)} are allowed.", field="email"
            )
        email = check_email(email, domains, field="email")
        with self._db.write() as session:
            user = users_repo.get_by_email(session, email)
            if user is None:
                user = users_repo.insert(
                    session,
                    User(
                        email=email,
                        username=users_repo.free_username(session, email),
                        role=Role.contributor.value,
                        auth_source="domain",
                        # The operator who turned the legacy sign-in on trusts addresses as typed.
                        email_verified_at=utcnow(),
                    ),
                )
            if not user.is_active:
                raise Forbidden("This account is disabled", field="email")
            user.last_login_at = utcnow()
            return self._session_response(user, "Domain-based", legacy=True)

    def signup(self, body: Any) -> dict[str, Any]:
        """A contributor account whose address is unproven: it can sign in once the link mailed
        to the address has been opened. No tokens are given here (see email_verification).

        A sign-up for the address of an account still unconfirmed replaces that account's
        username and password (``_claim_address``): whoever signed up first may have used
        someone else's address, and the owner claims it this way. The answer is the 201 of a
        fresh sign-up, and sign-ups that mail a link share the per-address limit of new links.
        """
        username, email, password = self._sign_up_fields(body)
        password_hash = hash_password(password)
        with self._db.write() as session:
            user = _claim_address(session, email, username, password_hash)
            # Charged only once no 409 is due, before the commit: a 429 undoes the sign-up.
            self._admit_sign_up_mail(email)
            link = self._verification.issue(session, user)
            account = self._user_json(user)
        sent = self._verification.send(link)
        message = (
            f"Account created: we sent a link to {email}. Open it and enter this password to "
            f"confirm the address, then sign in; it works for {self._verification.lifetime()}."
            if sent
            else "Account created, but the email with its confirmation link could not be sent "
            "just now: ask for a new link from the sign-in page."
        )
        return {
            "success": True,
            "message": message,
            "user": account,
            "email_verification_required": True,
            "verification_email_sent": sent,
        }

    def _sign_up_fields(self, body: Any) -> tuple[str, str, str]:
        """The sign-up's username, allowed email and checked password, or 400 naming a field."""
        if not body or not isinstance(body, Mapping):
            raise Invalid("No data provided", field="body")
        for key in body:
            if key not in ("username", "email", "password", "confirmPassword", "confirm_password"):
                raise Invalid(f"unknown field '{key}'", field=key)
        username = clean_text("username", body.get("username") or "", max_length=254)
        if not username:
            raise Invalid("Username is required", field="username")
        check_username(username)
        email = clean_text("email", body.get("email") or "", max_length=254)
        if not email:
            raise Invalid("Email is required", field="email")
        password = body.get("password")
        if not password:
            raise Invalid("Password is required", field="password")
        confirm = body.get("confirmPassword", body.get("confirm_password"))
        if password != confirm:
            raise Invalid("Passwords do not match", field="confirm_password")
        check_password(password)
        email = check_email(email, self._taxonomy.current.allowed_email_domains, field="email")
        return username, email, password

    def _admit_sign_up_mail(self, email: str) -> None:
        wait = self._verification.throttle.admit(email)
        if wait:
            raise TooManyRequests(
                f"Too many sign-ups and links for this address. Try again in {wait} seconds.",
                field="email",
                headers={"Retry-After": str(wait)},
            )

    def refresh(self, body: Any) -> dict[str, Any]:
        if isinstance(body, Mapping):
            check_known_keys(body, ("refresh_token",))
        token = body.get("refresh_token") if isinstance(body, Mapping) else None
        if not token or not isinstance(token, str):
            raise Invalid("'refresh_token' is required", field="refresh_token")
        claims = verified_claims(self._signer, token, "refresh")
        with self._db.read() as session:
            user = users_repo.get_by_id(session, claims.user_id)
            if user is None:
                raise Unauthorized("Invalid token")
            require_current(claims, token_version=user.token_version, is_active=user.is_active)
            # A refreshed legacy session stays a legacy one: refreshing must not lift the cap.
            return self._session_response(user, user.auth_source, legacy=claims.legacy)

    def logout(self, actor: Actor) -> dict[str, Any]:
        """Revoke every token of this user (a per-user token version)."""
        with self._db.write() as session:
            user = users_repo.get_by_id(session, actor.user_id or 0)
            if user is not None:
                user.token_version += 1
        return {"success": True, "message": "Signed out; every token of this account is revoked"}

    def change_password(self, actor: Actor, body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise Invalid("No data provided", field="body")
        check_known_keys(body, ("current_password", "new_password"))
        new_password = check_password(body.get("new_password"), field="new_password")
        current = body.get("current_password")
        if current is not None and not isinstance(current, str):
            raise Invalid("'current_password' must be a string", field="current_password")
        with self._db.write() as session:
            user = users_repo.get_by_id(session, actor.user_id or 0)
            if user is None:
                raise Unauthorized("Invalid token")
            if actor.legacy and not user.password_hash:
                # Otherwise knowing an address would buy a password, and with it full rights.
                raise Forbidden(
                    f"{LEGACY_REFUSAL}; a password cannot be set from such a session",
                    field="current_password",
                )
            if user.password_hash and not current:
                raise Invalid("'current_password' is required", field="current_password")
            if user.password_hash and not verify_password(user.password_hash, current or ""):
                raise Forbidden("The current password is wrong", field="current_password")
            user.password_hash = hash_password(new_password)
            user.token_version += 1
            response = self._session_response(user, "Password")
        response["message"] = "Password changed; other sessions are signed out"
        return response

    def me(self, actor: Actor) -> dict[str, Any]:
        with self._db.read() as session:
            user = users_repo.get_by_id(session, actor.user_id or 0)
            if user is None:
                raise Unauthorized("Invalid token")
            return {"success": True, "user": self._user_json(user, actor.legacy)}

    def verify(self, actor: Actor) -> dict[str, Any]:
        with self._db.read() as session:
            user = users_repo.get_by_id(session, actor.user_id or 0)
            username = user.username if user else actor.email
        return {"success": True, "message": "Token is valid", "username": username}

    def allowed_domains(self, google_client_id: str | None) -> dict[str, Any]:
        return {
            "success": True,
            "allowed_domains": list(self._taxonomy.current.allowed_email_domains),
            "google_client_id": google_client_id,
        }

    def session_for(self, user: User, auth_source: str) -> dict[str, Any]:
        """Tokens for a user another sign-in path (Google) has already proven."""
        return self._session_response(user, auth_source)

    # Helpers -----------------------------------------------------------------------------------

    def _session_response(
        self, user: User, auth_source: str, *, legacy: bool = False
    ) -> dict[str, Any]:
        """Tokens for ``user``; ``legacy`` marks them as the email-only sign-in's, whose rights
        stop at contributor (the answer's role says so, with ``legacy_sign_in``)."""

        def issue(kind: str) -> str:
            return self._signer.issue(
                user_id=user.id,
                username=user.username,
                email=user.email,
                token_version=user.token_version,
                kind=kind,
                legacy=legacy,
            )

        response = {
            "success": True,
            "message": "Login successful",
            "token": issue("access"),
            "refresh_token": issue("refresh"),
            "expires_in": int(self._signer.access_ttl.total_seconds()),
            "user": self._user_json(user, legacy),
            "auth_source": auth_source,
        }
        if legacy:
            response["legacy_sign_in"] = True
        return response

    @staticmethod
    def _user_json(user: User, legacy: bool = False) -> dict[str, Any]:
        """The account as a session sees it: a legacy session's role is the capped one."""
        role = Actor.of_token(user.id, user.email, Role(user.role), legacy=legacy).role
        return {"username": user.username, "email": user.email, "role": role.value}


def _claim_address(session: Session, email: str, username: str, password_hash: str) -> User:
    """A new account for a sign-up, or the unconfirmed account of its address made anew.

    The replaced account keeps its row but nothing its first sign-up chose: username, password
    and role are the new sign-up's, its token version moves on (revoking anything issued), and
    the caller's new link deletes the older ones. A confirmed or disabled account is 409.
    """
    found = users_repo.get_by_email(session, email)
    if found is not None:  # locked, so a confirmation or another sign-up cannot interleave
        found = users_repo.lock_by_ids(session, {found.id}).get(found.id)
    if found is None or found.email_verified_at is not None or not found.is_active:
        return insert_unique_user(
            session,
            email=email,
            username=username,
            password_hash=password_hash,
            role=Role.contributor,
            auth_source="password",
            verified=False,
        )
    holder = users_repo.get_by_username(session, username)
    if holder is not None and holder.id != found.id:
        raise Conflict("Username already exists", field="username")
    log.info("unconfirmed_sign_up_replaced", user_id=found.id)
    found.username = username
    found.password_hash = password_hash
    found.role = Role.contributor.value
    found.auth_source = "password"
    found.token_version += 1
    found.updated_at = utcnow()
    return found
