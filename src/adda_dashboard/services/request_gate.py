"""The token check every request goes through, kept cheap because it runs on every request.

It answers two questions at once: is this token's user current (exists, active, token version
unchanged: so logout and password changes revoke at once), and which dataset version is live.
With Redis configured both facts come from one MGET (user facts are cached there and deleted on
every change to the user); otherwise from one lean database query. Verified token signatures are
remembered per process, since a token's signature never changes; its expiry is checked each time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from adda_dashboard.adapters.redis_link import RedisLink
from adda_dashboard.adapters.tokens import TokenClaims, TokenSigner
from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import gate as gate_repo
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.errors import Unauthorized
from adda_dashboard.services.versions import DatasetVersions

USER_FACTS_TTL_S = 60
MAX_REMEMBERED_TOKENS = 10_000


def verified_claims(signer: TokenSigner, token: str, kind: str) -> TokenClaims:
    """The claims of a genuine, unexpired token of ``kind``, or 401 with the original's words."""
    try:
        claims = signer.decode(token)
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token has expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("Invalid token") from None
    if claims.kind != kind:
        raise Unauthorized("Invalid token")
    return claims


def require_current(claims: TokenClaims, *, token_version: int, is_active: bool) -> None:
    """A token outlives neither its user's deactivation nor a bump of their token version."""
    if not is_active:
        raise Unauthorized("Invalid token")
    if token_version != claims.token_version:
        raise Unauthorized("Token has been revoked")


@dataclass(frozen=True)
class Admission:
    actor: Actor
    dataset_version: int


class RequestGate:
    def __init__(
        self,
        db: Database,
        signer: TokenSigner,
        versions: DatasetVersions,
        redis: RedisLink | None,
        *,
        key_prefix: str,
    ) -> None:
        self._db = db
        self._signer = signer
        self._versions = versions
        self._redis = redis
        self._prefix = key_prefix
        self._verified: dict[str, TokenClaims] = {}
        if redis is not None:
            redis.on_recovery(self.forget_all_users)

    # Tokens ------------------------------------------------------------------------------------

    def claims(self, authorization: str | None) -> TokenClaims:
        """Verified access-token claims, with the original's 401 messages."""
        if not authorization or not authorization.strip():
            raise Unauthorized("Token is missing")
        parts = authorization.split(" ")
        if len(parts) < 2:
            raise Unauthorized("Invalid token format")
        token = parts[1]
        if not token:
            raise Unauthorized("Token is missing")
        claims = self._verified.get(token)
        if claims is None:
            claims = verified_claims(self._signer, token, "access")
            if len(self._verified) >= MAX_REMEMBERED_TOKENS:
                self._verified.clear()
            self._verified[token] = claims
        elif claims.raw["exp"] <= time.time():
            raise Unauthorized("Token has expired")
        return claims

    def admit(self, authorization: str | None) -> Admission:
        claims = self.claims(authorization)
        facts = self._facts(claims.user_id)
        if facts is None:
            raise Unauthorized("Invalid token")
        token_version, role, is_active, email, dataset_version = facts
        require_current(claims, token_version=int(token_version), is_active=bool(is_active))
        actor = Actor.of_token(claims.user_id, email, Role(role), legacy=claims.legacy)
        return Admission(actor, int(dataset_version))

    # User facts --------------------------------------------------------------------------------

    def _user_key(self, user_id: int) -> str:
        return f"{self._prefix}:user:{user_id}"

    def _facts(self, user_id: int) -> tuple[Any, ...] | None:
        reads = self._versions.reads
        if self._redis is None:
            return reads.run(lambda engine: gate_repo.user_facts_and_version(engine, user_id))
        user_key, version_key = self._user_key(user_id), self._versions.key
        cached = self._redis.call(lambda r: r.mget(user_key, version_key), None)
        if cached is not None and cached[0] and cached[1]:
            token_version, role, is_active, email = cached[0].decode().split("|", 3)
            return int(token_version), role, is_active == "1", email, int(cached[1])
        facts = reads.run(lambda engine: gate_repo.user_facts_and_version(engine, user_id))
        if facts is not None and cached is not None:
            token_version, role, is_active, email, version = facts
            packed = f"{token_version}|{role}|{1 if is_active else 0}|{email}"
            self._redis.call(lambda r: r.set(user_key, packed, ex=USER_FACTS_TTL_S), None)
            if not cached[1]:
                self._versions.publish(int(version))
        return facts

    def forget_users_changed(self, info: dict[str, Any]) -> None:
        """After-commit hook: drop the cached facts of users a transaction changed."""
        changed = info.get("users_changed")
        if changed and self._redis is not None:
            keys = [self._user_key(uid) for uid in changed]
            self._redis.call(lambda r: r.delete(*keys), None)

    def forget_all_users(self) -> None:
        """After Redis comes back, changes made meanwhile were not applied there: start over."""
        if self._redis is None:
            return
        pattern = f"{self._prefix}:user:*"

        def delete_all(r: Any) -> int:
            keys = list(r.scan_iter(match=pattern, count=500))
            return int(r.delete(*keys)) if keys else 0

        self._redis.call(delete_all, 0)
