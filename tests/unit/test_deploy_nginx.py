"""``adda-dashboard deploy nginx``: the committed example is exactly what the command renders
for the arguments it names, the limits come from the settings, and bad arguments are refused
before they can reach the file."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adda_dashboard.cli import app
from adda_dashboard.deploy.nginx import packaged_static_dir

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "adda-dashboard.conf"
RENDERED_BY = "# Rendered by: "
BASE = ["deploy", "nginx", "--listen", "0.0.0.0:80", "--upstream", "10.0.0.11:5000"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The settings' defaults: no ADDA_* variable and no .env file in the working directory."""
    for name in [name for name in os.environ if name.startswith("ADDA_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def render(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_committed_example_is_what_its_command_renders(clean_env: None) -> None:
    example = EXAMPLE.read_text()
    command = next(line for line in example.splitlines() if line.startswith(RENDERED_BY))
    words = shlex.split(command.removeprefix(RENDERED_BY))
    assert words[:3] == ["adda-dashboard", "deploy", "nginx"]
    assert render(*words[1:]) == example


def test_the_limits_follow_the_app_servers_settings(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADDA_HEADER_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("ADDA_VIDEO_MAX_UPLOAD_MB", "100")
    monkeypatch.setenv("ADDA_MAX_CONNECTIONS_PER_ADDRESS", "40")
    monkeypatch.setenv("ADDA_DOWNLOAD_SYNC_TIMEOUT_SECONDS", "90")
    site = render(*BASE)
    assert "client_header_timeout 2500ms;" in site
    assert "client_max_body_size 100m;" in site
    assert "limit_conn adda_conn_per_client 40;" in site
    assert "proxy_read_timeout 120s;" in site


def test_every_upstream_is_listed_and_retries_stay_within_them(clean_env: None) -> None:
    site = render(*BASE, "--upstream", "10.0.0.12:5000", "--upstream", "[fd00::13]:5000")
    for server in ("10.0.0.11:5000", "10.0.0.12:5000", "[fd00::13]:5000"):
        assert f"    server {server} max_fails=0;" in site
    assert "proxy_next_upstream_tries 3;" in site
    assert "non_idempotent" not in site.split("proxy_next_upstream ", 1)[1].split(";", 1)[0]


def test_the_static_files_default_to_the_installed_packages(clean_env: None) -> None:
    assert (packaged_static_dir() / "app.js").is_file()
    assert f'alias "{packaged_static_dir()}/";' in render(*BASE)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--listen", "0.0.0.0"),
        ("--listen", "0.0.0.0:99999"),
        ("--upstream", "app;evil:5000"),
        ("--server-name", "a.example.com; include /etc/passwd"),
        ("--static-dir", "relative/static"),
        ("--static-dir", '/srv/"static'),
    ],
)
def test_an_argument_that_could_break_the_file_is_refused(
    clean_env: None, option: str, value: str
) -> None:
    args = [*BASE, option, value] if option != "--listen" else [*BASE[:3], value, *BASE[4:]]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert option in result.output
