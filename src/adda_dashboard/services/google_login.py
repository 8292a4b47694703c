"""Sign in with Google: a verified ID token of an allowed domain becomes our own session.

Google proves the address; we keep the account. The first sign-in creates a contributor with
no password (auth source ``google``); later ones reuse the account found by email, whatever
way it was first made, so an operator's role changes and disabling stay in force.

An account found with its address still unproven is a password sign-up whose emailed link was
never opened: whoever chose that password may not own the address. Google's proof takes the
account over: the password is removed, every token of the account revoked, and pending links
dropped, so nothing a squatter set up survives the owner's first sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adda_dashboard.adapters.google_identity import (
    GoogleCertsUnavailable,
    GoogleIdentity,
    GoogleIdTokenVerifier,
    GoogleTokenRejected,
)
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import User
from adda_dashboard.db.repositories import email_verifications as links_repo
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.errors import Forbidden, Invalid, Unauthorized, Unavailable
from adda_dashboard.services.auth import AuthService
from adda_dashboard.services.taxonomy import TaxonomyService

log = structlog.get_logger("adda_dashboard.google")
NOT_CONFIGURED = "Google OAuth not configured on server"
MAX_EMAIL_CHARS = 254


class GoogleLoginService:
    def __init__(
        self,
        db: Database,
        verifier: GoogleIdTokenVerifier,
        auth: AuthService,
        taxonomy: TaxonomyService,
    ) -> None:
        self._db = db
        self._verifier = verifier
        self._auth = auth
        self._taxonomy = taxonomy

    def login(self, body: Any) -> dict[str, Any]:
        """``{"credential": <Google ID token>}`` -> our tokens, with the contract's messages."""
        credential = _credential_of(body)
        if not self._verifier.configured:
            raise Unavailable(NOT_CONFIGURED)
        try:
            identity = self._verifier.verify(
                credential, self._taxonomy.current.allowed_email_domains
            )
        except GoogleTokenRejected as exc:
            raise Unauthorized(exc.reason, field="credential") from None
        except GoogleCertsUnavailable as exc:
            raise Unavailable(exc.reason) from None
        if len(identity.email) > MAX_EMAIL_CHARS:
            raise Unauthorized("Google account email is too long", field="credential")
        response = self._sign_in(identity)
        response["user"].update(
            name=identity.name,
            picture=identity.picture,
            given_name=identity.given_name,
            family_name=identity.family_name,
        )
        return response

    def verify(self, actor: Actor) -> dict[str, Any]:
        """The contract's ``google-verify``: the same check as ``verify``, keyed ``user``."""
        username = self._auth.verify(actor)["username"]
        return {"success": True, "message": "Token is valid", "user": username}

    def close(self) -> None:
        self._verifier.close()

    def _sign_in(self, identity: GoogleIdentity) -> dict[str, Any]:
        try:
            return self._sign_in_once(identity)
        except IntegrityError:
            # Two first sign-ins of one address raced; this one now finds the other's row.
            return self._sign_in_once(identity)

    def _sign_in_once(self, identity: GoogleIdentity) -> dict[str, Any]:
        with self._db.write() as session:
            user = users_repo.get_by_email(session, identity.email)
            if user is None:
                user = users_repo.insert(session, self._new_user(session, identity))
            if not user.is_active:
                raise Forbidden("This account is disabled", field="credential")
            if user.email_verified_at is None:
                _take_over(session, user)
            user.last_login_at = utcnow()
            return self._auth.session_for(user, "Google")

    @staticmethod
    def _new_user(session: Session, identity: GoogleIdentity) -> User:
        email = identity.email.lower()
        return User(
            email=email,
            username=users_repo.free_username(session, email),
            role=Role.contributor.value,
            auth_source="google",
            password_hash=None,
            email_verified_at=utcnow(),
        )


def _take_over(session: Session, user: User) -> None:
    """The owner of the address, proven by Google, takes over an unproven password sign-up."""
    log.warning("unproven_account_taken_over", user_id=user.id, email=user.email)
    user.password_hash = None
    user.auth_source = "google"
    user.token_version += 1
    user.email_verified_at = utcnow()
    user.updated_at = utcnow()
    links_repo.delete_unused_for_user(session, user.id)


def _credential_of(body: Any) -> str:
    if not isinstance(body, Mapping) or "credential" not in body:
        raise Invalid("Google credential token is required", field="credential")
    credential = body["credential"]
    if credential is None or (isinstance(credential, str) and not credential.strip()):
        raise Invalid("Google credential cannot be empty", field="credential")
    if not isinstance(credential, str):
        raise Invalid("Google credential must be a string", field="credential")
    return credential.strip()
