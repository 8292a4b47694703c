"""Signed JWTs (HS256) for access and refresh.

A token of the email-only legacy sign-in carries ``"legacy": true``; whoever builds the actor
from it caps its rights (``Actor.of_token``), and a refresh passes the mark on.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

ALGORITHM = "HS256"


class MissingSecretError(RuntimeError):
    """Production refuses to start without a signing secret."""


def resolve_secret(configured: str | None, *, production: bool, var_dir: Path) -> str:
    """The configured secret; in development one generated once and kept under ``var/``."""
    if configured:
        return configured
    if production:
        raise MissingSecretError(
            "ADDA_JWT_SECRET is not set: a production start needs a signing secret "
            "(e.g. ADDA_JWT_SECRET=$(python -c 'import secrets; print(secrets.token_urlsafe(48))'))"
        )
    path = var_dir / "jwt_secret"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    token_version: int
    kind: str
    raw: dict[str, Any]
    legacy: bool = False


class TokenSigner:
    def __init__(self, secret: str, access_ttl: timedelta, refresh_ttl: timedelta) -> None:
        self._secret = secret
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl

    def issue(
        self,
        *,
        user_id: int,
        username: str,
        email: str,
        token_version: int,
        kind: str = "access",
        legacy: bool = False,
    ) -> str:
        now = datetime.now(UTC)
        ttl = self.access_ttl if kind == "access" else self.refresh_ttl
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "username": username,
            "email": email,
            "tv": token_version,
            "typ": kind,
            "iat": now,
            "exp": now + ttl,
        }
        if legacy:
            claims["legacy"] = True
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def bind(self, token: str) -> str:
        """A value tied to one token that only this server can compute: the dashboard's
        anti-forgery token for a session cookie holding ``token``."""
        digest = hmac.new(self._secret.encode(), b"csrf:" + token.encode(), hashlib.sha256)
        return digest.hexdigest()

    def decode(self, token: str) -> TokenClaims:
        """Raises ``jwt.ExpiredSignatureError`` or ``jwt.InvalidTokenError``."""
        claims = jwt.decode(
            token, self._secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
        try:
            return TokenClaims(
                user_id=int(claims["sub"]),
                token_version=int(claims.get("tv", 0)),
                kind=str(claims.get("typ", "access")),
                raw=claims,
                legacy=claims.get("legacy") is True,
            )
        except (TypeError, ValueError) as exc:
            raise jwt.InvalidTokenError("malformed claims") from exc
