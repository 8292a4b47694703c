"""Google ID tokens (Sign in with Google), checked with google-auth against Google's certificates.

The library checks the signature, the audience and the expiry; this module adds the issuer, a
verified email and the allowed domains, and turns every failure into one sentence a person can
act on. A failure to reach the certificates is kept apart from a bad token: it is our outage,
not the user's fault, so callers answer 503 rather than 401.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
import requests
import structlog
from google.auth import exceptions as google_exceptions
from google.auth.transport import requests as google_requests
from google.oauth2 import id_token

log = structlog.get_logger("adda_dashboard.google")
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
CERTS_TIMEOUT_S = 5.0
CLOCK_SKEW_S = 10
MAX_TOKEN_CHARS = 8192


class GoogleTokenRejected(Exception):
    """The token is not one we accept; ``reason`` is safe to show to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GoogleCertsUnavailable(Exception):
    """Google's signing certificates could not be fetched or read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class GoogleIdentity:
    """The proven claims of a verified ID token."""

    subject: str
    email: str
    name: str | None
    picture: str | None
    given_name: str | None
    family_name: str | None


class _CertsRequest(google_requests.Request):
    """google-auth's requests transport with a short timeout and a check of the certificates body.

    The library would wait two minutes on a stalled server and raise a bare JSON error on a body
    that is not JSON; both are certificate problems, so both become ``TransportError`` here.
    """

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,  # type: ignore[override]
        headers: Any = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> Any:
        response = super().__call__(
            url,
            method=method,
            body=body,
            headers=headers,
            timeout=timeout or CERTS_TIMEOUT_S,
            **kwargs,
        )
        if response.status == 200:
            try:
                document = json.loads(response.data.decode("utf-8"))
            except ValueError as exc:
                raise google_exceptions.TransportError(
                    f"The certificates at {url} are not JSON"
                ) from exc
            if not isinstance(document, Mapping):
                raise google_exceptions.TransportError(
                    f"The certificates at {url} are not a JSON object"
                )
        return response


class GoogleIdTokenVerifier:
    """Verifies Google ID tokens for one OAuth client id.

    Built from settings alone and does no I/O until the first verification; the HTTP session is
    made once per process (rebuilt after a fork, whose copy must not share sockets).
    """

    def __init__(self, client_id: str | None, certs_url: str) -> None:
        self.client_id = client_id.strip() if client_id and client_id.strip() else None
        self.certs_url = certs_url
        self._lock = threading.Lock()
        self._request: _CertsRequest | None = None
        self._pid: int | None = None

    @property
    def configured(self) -> bool:
        return self.client_id is not None

    def verify(self, token: str, allowed_domains: tuple[str, ...]) -> GoogleIdentity:
        """The identity behind ``token``, or a rejection / unavailability error."""
        if self.client_id is None:
            raise GoogleCertsUnavailable("Google OAuth not configured on server")
        if len(token) > MAX_TOKEN_CHARS:
            raise GoogleTokenRejected("Google token is malformed")
        claims = self._verified_claims(token, self.client_id)
        return _identity_from(claims, allowed_domains)

    def close(self) -> None:
        with self._lock:
            if self._request is not None and self._pid == os.getpid():
                self._request.session.close()
            self._request = None

    def _transport(self) -> _CertsRequest:
        with self._lock:
            if self._request is None or self._pid != os.getpid():
                self._request = _CertsRequest(session=requests.Session())
                self._pid = os.getpid()
            return self._request

    def _verified_claims(self, token: str, client_id: str) -> Mapping[str, Any]:
        try:
            return id_token.verify_token(
                token,
                self._transport(),
                audience=client_id,
                certs_url=self.certs_url,
                clock_skew_in_seconds=CLOCK_SKEW_S,
            )
        except google_exceptions.TransportError as exc:
            log.warning("google_certs_unavailable", url=self.certs_url, error=str(exc))
            raise GoogleCertsUnavailable(
                "Google sign-in is unavailable: Google's signing certificates could not be "
                "fetched; try again in a minute"
            ) from exc
        except (ValueError, google_exceptions.GoogleAuthError, jwt.PyJWTError) as exc:
            raise GoogleTokenRejected(_reason_for(exc)) from exc


def _reason_for(exc: Exception) -> str:
    """One clear sentence per way a token fails the library's checks."""
    if isinstance(exc, jwt.PyJWTError):  # certificates served as a JWK set
        if isinstance(exc, jwt.ExpiredSignatureError):
            return "Google token has expired"
        if isinstance(exc, jwt.InvalidAudienceError):
            return "Google token was issued for another application (wrong audience)"
        if isinstance(exc, jwt.InvalidSignatureError):
            return "Google token signature is invalid"
        if isinstance(exc, jwt.PyJWKClientError):
            return "Google token was signed by an unknown key"
        return "Google token is malformed"
    text = str(exc)
    for prefix, reason in (
        ("Token expired", "Google token has expired"),
        ("Token used too early", "Google token is not valid yet"),
        (
            "Token has wrong audience",
            "Google token was issued for another application (wrong audience)",
        ),
        ("Could not verify token signature", "Google token signature is invalid"),
        ("Certificate for key id", "Google token was signed by an unknown key"),
        ("Unsupported signature algorithm", "Google token uses an unsupported signature algorithm"),
    ):
        if text.startswith(prefix):
            return reason
    return "Google token is malformed"


def _identity_from(claims: Mapping[str, Any], allowed_domains: tuple[str, ...]) -> GoogleIdentity:
    """The checks google-auth leaves to its caller: issuer, verified email, allowed domain."""
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise GoogleTokenRejected("Google token was not issued by Google (wrong issuer)")
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise GoogleTokenRejected("Google token carries no email address")
    if claims.get("email_verified") not in (True, "true"):
        raise GoogleTokenRejected("Google account email is not verified")
    if email.rsplit("@", 1)[1].lower() not in allowed_domains:
        raise GoogleTokenRejected(
            f"Access denied. Only emails from {', '.join(allowed_domains)} are allowed."
        )

    def text(key: str) -> str | None:
        value = claims.get(key)
        return value if isinstance(value, str) else None

    return GoogleIdentity(
        subject=str(claims.get("sub") or ""),
        email=email.strip(),
        name=text("name"),
        picture=text("picture"),
        given_name=text("given_name"),
        family_name=text("family_name"),
    )
