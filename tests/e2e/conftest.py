"""The dashboard in a real browser: headless Chromium (Debian's) driven by Playwright, against
``adda-dashboard serve`` started on 127.0.0.1 in its own process over a SQLite file.

The server is shared by the tests of one pytest worker, so tests never rely on an empty
database: each makes its own users and rows (unique names) and looks only at those.
Every test may save screenshots with ``shoot(page, name)`` into ``test-artifacts/screenshots``.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.conftest import make_settings
from tests.integration.live_servers import SECRET, live_server, server_env

CHROMIUM = os.environ.get("ADDA_E2E_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(
    os.environ.get(
        "ADDA_E2E_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-artifacts/screenshots"
    )
)
# Flags for a closed network: no background calls home, no first-run work, no sandbox as root.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DEFAULT_TIMEOUT_MS = 15_000


def _chromium_or_skip() -> str:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return CHROMIUM
    message = f"Chromium not found at {CHROMIUM}: browser tests NOT RUN (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    warnings.warn(message, stacklevel=1)
    pytest.skip(message)


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def e2e_database_url(e2e_dir: Path) -> str:
    return f"sqlite:///{e2e_dir / 'dashboard.db'}"


@pytest.fixture(scope="session")
def e2e_container(e2e_database_url: str, e2e_dir: Path) -> Iterator[Container]:
    """The same database the server uses, for making users and rows directly."""
    settings = make_settings(e2e_database_url, e2e_dir / "var", jwt_secret=SECRET)
    container = bootstrap(settings, run_migrations=True)
    yield container
    container.close()


@pytest.fixture(scope="session")
def base_url(e2e_container: Container, e2e_database_url: str, e2e_dir: Path) -> Iterator[str]:
    # Downloads in these tests fetch from a local server, which the default policy refuses.
    env = server_env(e2e_database_url, e2e_dir / "var", ADDA_DOWNLOAD_ALLOW_PRIVATE="true")
    with live_server(env) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: object, base_url: str) -> Iterator[Callable[..., object]]:
    """Pages in fresh browser contexts (own cookies); ``new_page(phone=True)``: a phone screen."""
    contexts: list[object] = []

    def make(*, phone: bool = False) -> object:
        viewport = {"width": 390, "height": 844} if phone else {"width": 1366, "height": 900}
        context = browser.new_context(base_url=base_url, viewport=viewport)  # type: ignore[attr-defined]
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()  # type: ignore[attr-defined]


@pytest.fixture
def page(new_page: Callable[..., object]) -> object:
    return new_page()


def shoot(page: object, name: str) -> Path:
    """Save a full-page screenshot under ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def make_user(container: Container, role: Role) -> str:
    return factories.make_user(container, role)


def sign_in(page: object, email: str, password: str = factories.PASSWORD) -> None:
    """Sign in through the form, as a person would."""
    page.goto("/ui/login")  # type: ignore[attr-defined]
    page.get_by_label("Email or username").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/ui/**")  # type: ignore[attr-defined]


@pytest.fixture
def signed_in(
    new_page: Callable[..., object], e2e_container: Container
) -> Callable[..., tuple[object, str]]:
    """``signed_in(Role.editor)`` -> (page, email): a new user of that role, signed in."""

    def make(role: Role = Role.contributor, *, phone: bool = False) -> tuple[object, str]:
        email = make_user(e2e_container, role)
        page = new_page(phone=phone)
        sign_in(page, email)
        return page, email

    return make


def api_token(base_url: str, email: str, password: str = factories.PASSWORD) -> str:
    """An API token for ``email``, for changing data behind the browser's back."""
    response = httpx.post(
        f"{base_url}/api/auth/login", json={"email": email, "password": password}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]
