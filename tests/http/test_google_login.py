"""Sign in with Google: real RS256 ID tokens, checked against certificates served over local HTTP.

The tests make their own signing key and self-signed certificate and serve them the way Google
does (``{"<kid>": "<PEM certificate>"}``) from a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from starlette.testclient import TestClient

from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.backends import reset
from tests.conftest import make_settings

CLIENT_ID = "1234567890-test.apps.googleusercontent.com"
KID = "test-key-1"
LOGIN = "/api/auth/google-login"


def _certificate_pem(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-google-certs")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def google_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class CertsServer:
    """What the local certificates endpoint answers; tests may change it."""

    url: str
    status: int = 200
    document: Any = field(default_factory=dict)
    requests: int = 0


@pytest.fixture
def certs_server(google_key: rsa.RSAPrivateKey) -> Iterator[CertsServer]:
    state = CertsServer(url="", document={KID: _certificate_pem(google_key)})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            body = json.dumps(state.document).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/oauth2/v1/certs"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@contextmanager
def _google_client(
    database_url: str, var_dir: Path, **settings: Any
) -> Iterator[tuple[TestClient, Container]]:
    reset(database_url)
    container = bootstrap(make_settings(database_url, var_dir, **settings), run_migrations=False)
    container.taxonomy.load_packaged()
    try:
        with TestClient(create_app(container=container)) as client:
            yield client, container
    finally:
        container.close()


@pytest.fixture
def google(
    database_url: str, var_dir: Path, certs_server: CertsServer
) -> Iterator[tuple[TestClient, Container]]:
    with _google_client(
        database_url, var_dir, google_client_id=CLIENT_ID, google_certs_url=certs_server.url
    ) as pair:
        yield pair


def id_token(key: rsa.RSAPrivateKey, *, kid: str = KID, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "https://accounts.google.com",
        "aud": CLIENT_ID,
        "azp": CLIENT_ID,
        "sub": "110169484474386276334",
        "email": "Priya.Sharma@adda247.com",
        "email_verified": True,
        "name": "Priya Sharma",
        "given_name": "Priya",
        "family_name": "Sharma",
        "picture": "https://lh3.googleusercontent.com/a/photo",
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _user_count(container: Container) -> int:
    with container.db.read() as session:
        return users_repo.count(session)


def test_valid_token_of_an_allowed_domain_signs_in_and_creates_the_user_once(
    google: tuple[TestClient, Container], google_key: rsa.RSAPrivateKey
) -> None:
    client, container = google
    response = client.post(LOGIN, json={"credential": id_token(google_key)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Login successful"
    assert body["auth_source"] == "Google"
    assert body["user"] == {
        "email": "priya.sharma@adda247.com",
        "username": "priya.sharma",
        "role": Role.contributor.value,
        "name": "Priya Sharma",
        "given_name": "Priya",
        "family_name": "Sharma",
        "picture": "https://lh3.googleusercontent.com/a/photo",
    }
    assert body["refresh_token"]
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/data", headers=headers).status_code == 200
    verified = client.get("/api/auth/google-verify", headers=headers)
    assert verified.status_code == 200
    assert verified.json() == {"success": True, "message": "Token is valid", "user": "priya.sharma"}

    again = client.post(LOGIN, json={"credential": id_token(google_key)})
    assert again.status_code == 200
    assert again.json()["user"]["username"] == "priya.sharma"
    assert _user_count(container) == 1
    with container.db.read() as session:
        user = users_repo.get_by_email(session, "priya.sharma@adda247.com")
        assert user is not None
        assert (user.auth_source, user.password_hash) == ("google", None)
        assert user.last_login_at is not None


def test_google_sign_in_reuses_an_existing_account_and_keeps_its_role(
    google: tuple[TestClient, Container], google_key: rsa.RSAPrivateKey
) -> None:
    client, container = google
    factories.make_user(container, Role.editor, email="priya.sharma@adda247.com")
    response = client.post(LOGIN, json={"credential": id_token(google_key)})
    assert response.status_code == 200
    assert response.json()["user"]["role"] == Role.editor.value
    assert _user_count(container) == 1


VICTIM = "priya.sharma@adda247.com"
ATTACKER_PASSWORD = "the attacker's own password"


def _sign_up(client: TestClient, email: str, password: str) -> None:
    response = client.post(
        "/api/auth/signup",
        json={
            "username": "priya",
            "email": email,
            "password": password,
            "confirm_password": password,
        },
    )
    assert response.status_code == 201, response.text


def test_google_takes_over_an_unconfirmed_sign_up_of_its_address(
    google: tuple[TestClient, Container], google_key: rsa.RSAPrivateKey
) -> None:
    """Account pre-hijacking: someone signs up with the victim's address and a password of
    their own; the victim's first Google sign-in must leave them nothing."""
    client, container = google
    with structlog.testing.capture_logs() as logs:
        _sign_up(client, VICTIM, ATTACKER_PASSWORD)
    [mail] = [e for e in logs if e["event"] == "mail_not_sent_no_smtp"]
    pending = mail["text"].split("token=", 1)[1].split()[0]
    refused = client.post("/api/auth/login", json={"email": VICTIM, "password": ATTACKER_PASSWORD})
    assert refused.status_code == 401
    with container.db.read() as session:
        squatted = users_repo.get_by_email(session, VICTIM)
        assert squatted is not None and squatted.email_verified_at is None
        held = container.auth.session_for(squatted, "Password")  # any token the account had

    victim = client.post(LOGIN, json={"credential": id_token(google_key)})
    assert victim.status_code == 200, victim.text
    assert victim.json()["user"]["email"] == VICTIM
    victim_headers = {"Authorization": f"Bearer {victim.json()['token']}"}
    assert client.get("/api/auth/me", headers=victim_headers).status_code == 200

    attacker = client.post("/api/auth/login", json={"email": VICTIM, "password": ATTACKER_PASSWORD})
    assert attacker.status_code == 401
    assert attacker.json()["message"] == "Invalid email or password"
    old = client.get("/api/auth/me", headers={"Authorization": f"Bearer {held['token']}"})
    assert old.status_code == 401
    assert old.json()["message"] == "Token has been revoked"
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": held["refresh_token"]})
    assert refreshed.status_code == 401
    link = client.post(
        "/api/auth/verify-email", json={"token": pending, "password": ATTACKER_PASSWORD}
    )
    assert link.status_code == 400  # the squatter's pending link is gone too
    assert link.json()["field"] == "token"
    with container.db.read() as session:
        user = users_repo.get_by_email(session, VICTIM)
        assert user is not None
        assert (user.password_hash, user.auth_source) == (None, "google")
        assert user.email_verified_at is not None
    assert _user_count(container) == 1


def test_google_sign_in_of_a_confirmed_password_account_keeps_its_password_and_tokens(
    google: tuple[TestClient, Container], google_key: rsa.RSAPrivateKey
) -> None:
    client, container = google
    factories.make_user(container, Role.contributor, email=VICTIM)
    before = factories.login(client, VICTIM)
    response = client.post(LOGIN, json={"credential": id_token(google_key)})
    assert response.status_code == 200
    assert client.get("/api/auth/me", headers=before).status_code == 200
    assert factories.login(client, VICTIM)
    with container.db.read() as session:
        user = users_repo.get_by_email(session, VICTIM)
        assert user is not None and user.password_hash is not None


def test_a_new_google_user_gets_a_free_username_when_the_local_part_is_taken(
    google: tuple[TestClient, Container], google_key: rsa.RSAPrivateKey
) -> None:
    client, container = google
    factories.make_user(container, email="priya.sharma@studyiq.com")
    response = client.post(LOGIN, json={"credential": id_token(google_key)})
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "priya.sharma2"


def test_a_disabled_account_is_refused_with_403(
    google: tuple[TestClient, Container], google_key: rsa.RSAPrivateKey
) -> None:
    client, container = google
    assert client.post(LOGIN, json={"credential": id_token(google_key)}).status_code == 200
    with container.db.write() as session:
        user = users_repo.get_by_email(session, "priya.sharma@adda247.com")
        assert user is not None
        user.is_active = False
    response = client.post(LOGIN, json={"credential": id_token(google_key)})
    assert response.status_code == 403
    assert response.json()["message"] == "This account is disabled"


def test_google_verify_requires_a_token(google: tuple[TestClient, Container]) -> None:
    client, _ = google
    response = client.get("/api/auth/google-verify")
    assert response.status_code == 401
    assert response.json()["message"] == "Token is missing"


def _tampered(token: str) -> str:
    """The same signature over a payload whose email was changed after signing."""
    header, payload, signature = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["email"] = "attacker@adda247.com"
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("make_token", "message"),
    [
        pytest.param(
            lambda key, _other: id_token(key, email="someone@gmail.com"),
            "Access denied. Only emails from adda247.com, addaeducation.com, studyiq.com "
            "are allowed.",
            id="other-domain",
        ),
        pytest.param(
            lambda key, _other: id_token(key, email_verified=False),
            "Google account email is not verified",
            id="unverified-email",
        ),
        pytest.param(
            lambda key, _other: id_token(key, aud="someone-else.apps.googleusercontent.com"),
            "Google token was issued for another application (wrong audience)",
            id="wrong-audience",
        ),
        pytest.param(
            lambda key, _other: id_token(key, iss="https://evil.example.com"),
            "Google token was not issued by Google (wrong issuer)",
            id="wrong-issuer",
        ),
        pytest.param(
            lambda key, _other: id_token(
                key, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600
            ),
            "Google token has expired",
            id="expired",
        ),
        pytest.param(
            lambda key, _other: _tampered(id_token(key)),
            "Google token signature is invalid",
            id="tampered",
        ),
        pytest.param(
            lambda _key, other: id_token(other),
            "Google token signature is invalid",
            id="signed-by-another-key",
        ),
        pytest.param(
            lambda key, _other: id_token(key, kid="rotated-away"),
            "Google token was signed by an unknown key",
            id="unknown-kid",
        ),
        pytest.param(
            lambda key, _other: id_token(key, email=None),
            "Google token carries no email address",
            id="no-email",
        ),
        pytest.param(
            lambda _key, _other: "not-a-jwt",
            "Google token is malformed",
            id="malformed",
        ),
        pytest.param(
            lambda _key, _other: jwt.encode(
                {"email": "priya@adda247.com"},
                "shared-secret-of-32-bytes-or-more!",
                algorithm="HS256",
                headers={"kid": KID},
            ),
            "Google token uses an unsupported signature algorithm",
            id="hs256-instead-of-rs256",
        ),
    ],
)
def test_a_bad_token_is_refused_with_401_and_a_clear_message(
    google: tuple[TestClient, Container],
    google_key: rsa.RSAPrivateKey,
    stranger_key: rsa.RSAPrivateKey,
    make_token: Any,
    message: str,
) -> None:
    client, container = google
    response = client.post(LOGIN, json={"credential": make_token(google_key, stranger_key)})
    assert response.status_code == 401, response.text
    body = response.json()
    assert (body["success"], body["message"], body["field"]) == (False, message, "credential")
    assert _user_count(container) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Google credential token is required"),
        (None, "Google credential token is required"),
        ({"token": "x"}, "Google credential token is required"),
        ({"credential": ""}, "Google credential cannot be empty"),
        ({"credential": "   "}, "Google credential cannot be empty"),
        ({"credential": None}, "Google credential cannot be empty"),
        ({"credential": 42}, "Google credential must be a string"),
    ],
)
def test_a_missing_or_empty_credential_is_refused_with_400(
    google: tuple[TestClient, Container], certs_server: CertsServer, body: Any, message: str
) -> None:
    client, _ = google
    response = client.post(LOGIN, json=body)
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert certs_server.requests == 0


def test_without_a_client_id_google_sign_in_answers_503(
    database_url: str,
    var_dir: Path,
    certs_server: CertsServer,
    google_key: rsa.RSAPrivateKey,
) -> None:
    with _google_client(database_url, var_dir, google_certs_url=certs_server.url) as (client, _):
        response = client.post(LOGIN, json={"credential": id_token(google_key)})
        assert response.status_code == 503
        assert response.json()["message"] == "Google OAuth not configured on server"
        assert client.post(LOGIN, json={}).status_code == 400
    assert certs_server.requests == 0


def test_when_the_certificates_server_is_down_sign_in_answers_503(
    database_url: str, var_dir: Path, google_key: rsa.RSAPrivateKey
) -> None:
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{closed.server_address[1]}/certs"
    closed.server_close()
    with _google_client(
        database_url, var_dir, google_client_id=CLIENT_ID, google_certs_url=url
    ) as (client, container):
        response = client.post(LOGIN, json={"credential": id_token(google_key)})
        assert response.status_code == 503
        assert "certificates could not be fetched" in response.json()["message"]
        assert _user_count(container) == 0


@pytest.mark.parametrize(
    ("status", "document"),
    [(500, {"error": "backend"}), (200, ["not", "a", "mapping"])],
    ids=["server-error", "not-a-json-object"],
)
def test_a_broken_certificates_answer_is_a_503_not_a_401(
    google: tuple[TestClient, Container],
    certs_server: CertsServer,
    google_key: rsa.RSAPrivateKey,
    status: int,
    document: Any,
) -> None:
    client, _ = google
    certs_server.status, certs_server.document = status, document
    response = client.post(LOGIN, json={"credential": id_token(google_key)})
    assert response.status_code == 503
    assert "certificates could not be fetched" in response.json()["message"]


def test_certificates_served_as_a_jwk_set_are_accepted_too(
    google: tuple[TestClient, Container],
    certs_server: CertsServer,
    google_key: rsa.RSAPrivateKey,
    stranger_key: rsa.RSAPrivateKey,
) -> None:
    client, _ = google
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(google_key.public_key()))
    certs_server.document = {"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}
    assert client.post(LOGIN, json={"credential": id_token(google_key)}).status_code == 200
    refused = client.post(LOGIN, json={"credential": id_token(stranger_key)})
    assert refused.status_code == 401
    assert refused.json()["message"] == "Google token signature is invalid"


def test_allowed_domains_follow_the_settings_override(
    database_url: str,
    var_dir: Path,
    certs_server: CertsServer,
    google_key: rsa.RSAPrivateKey,
) -> None:
    with _google_client(
        database_url,
        var_dir,
        google_client_id=CLIENT_ID,
        google_certs_url=certs_server.url,
        allowed_email_domains=["example.org"],
    ) as (client, _):
        refused = client.post(LOGIN, json={"credential": id_token(google_key)})
        assert refused.status_code == 401
        assert refused.json()["message"] == (
            "Access denied. Only emails from example.org are allowed."
        )
        accepted = client.post(
            LOGIN, json={"credential": id_token(google_key, email="ana@Example.org")}
        )
        assert accepted.status_code == 200
        assert accepted.json()["user"]["email"] == "ana@example.org"


# The dashboard's "Sign in with Google" -------------------------------------------------------


def test_the_sign_in_page_offers_google_only_when_a_client_id_is_configured(
    google: tuple[TestClient, Container], client: TestClient
) -> None:
    configured, _container = google
    assert f'data-client_id="{CLIENT_ID}"' in configured.get("/ui/login").text
    assert 'data-login_uri="/ui/google-login"' in configured.get("/ui/login").text
    assert "g_id_onload" not in client.get("/ui/login").text


def _post_back(client: TestClient, credential: str, double_submit: str) -> httpx.Response:
    """What Google's button posts back: the credential and the double-submit token, in the
    form and in its cookie."""
    client.cookies.set("g_csrf_token", double_submit)
    return client.post(
        "/ui/google-login",
        data={"credential": credential, "g_csrf_token": double_submit},
        follow_redirects=False,
    )


def test_the_dashboard_signs_in_with_the_credential_google_posts_back(
    google: tuple[TestClient, Container], google_key: rsa.RSAPrivateKey
) -> None:
    client, container = google
    response = _post_back(client, id_token(google_key), "double-submit-1")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/ui/"
    page = client.get("/ui/")
    assert page.status_code == 200
    assert "priya.sharma@adda247.com" in page.text
    assert _user_count(container) == 1


@pytest.mark.parametrize(
    ("cookie", "field"), [(None, "double-submit-1"), ("double-submit-1", None), ("a", "b")]
)
def test_a_google_post_without_its_matching_double_submit_token_is_refused(
    google: tuple[TestClient, Container],
    google_key: rsa.RSAPrivateKey,
    cookie: str | None,
    field: str | None,
) -> None:
    client, container = google
    if cookie:
        client.cookies.set("g_csrf_token", cookie)
    data = {"credential": id_token(google_key)}
    if field:
        data["g_csrf_token"] = field
    response = client.post("/ui/google-login", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "did not come from this page" in response.text
    assert "adda_session" not in response.headers.get("set-cookie", "")
    assert _user_count(container) == 0


def test_a_forged_google_credential_shows_the_reason_on_the_sign_in_page(
    google: tuple[TestClient, Container], stranger_key: rsa.RSAPrivateKey
) -> None:
    client, container = google
    response = _post_back(client, id_token(stranger_key), "t")
    assert response.status_code == 401
    assert 'class="alert alert-error"' in response.text
    assert _user_count(container) == 0
