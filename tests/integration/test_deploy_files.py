"""The files under ``deploy/`` name only commands, options and settings that exist, so none of
them breaks silently when the CLI or the settings change; the compose file, the Dockerfile and
the systemd units hold what an operator relies on (no Docker engine runs here: they are parsed,
and the units are checked by ``systemd-analyze verify``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, get_origin

import pytest
import typer
import yaml
from packaging.specifiers import SpecifierSet
from pydantic import AliasChoices, BaseModel

from adda_dashboard.cli import app
from adda_dashboard.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
UNITS = (
    DEPLOY / "systemd" / "adda-dashboard.service",
    DEPLOY / "systemd" / "adda-dashboard-worker.service",
)
NAMED_FILES = (COMPOSE, DOCKERFILE, *UNITS, DEPLOY / "nginx" / "adda-dashboard.conf")
INSTALLED_BINARY = "/opt/adda-dashboard/venv/bin/adda-dashboard"
SETTING = re.compile(r"\bADDA_[A-Z0-9_]*[A-Z0-9]")


def setting_env_names(model: type[BaseModel] = Settings, prefix: str = "ADDA_") -> set[str]:
    """Every environment name the settings read: prefixed field names, nested groups joined
    by ``__``, and the aliases of fields that have them."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {str(choice).upper() for choice in alias.choices}
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{name.upper()}")
        group = field.annotation
        if isinstance(group, type) and get_origin(group) is None and issubclass(group, BaseModel):
            names |= setting_env_names(group, f"{prefix}{name.upper()}__")
    return names


def check_command(words: list[str]) -> None:
    """``adda-dashboard <command...> [--option ...]``: each command and option exists, found by
    walking the Typer app's command tree (groups are the commands that hold ``commands``)."""
    assert words[0] == "adda-dashboard", words
    command: Any = typer.main.get_command(app)
    rest = words[1:]
    while hasattr(command, "commands") and rest and not rest[0].startswith("-"):
        assert rest[0] in command.commands, f"no command {rest[0]!r} in {words}"
        command, rest = command.commands[rest[0]], rest[1:]
    assert not hasattr(command, "commands"), f"{words} names a group, not a command"
    options = {opt for param in command.params for opt in param.opts}
    for word in rest:
        if word.startswith("-"):
            assert word.split("=", 1)[0] in options, f"no option {word!r} in {words}"


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def unit_commands(unit: Path) -> list[list[str]]:
    lines = unit.read_text().splitlines()
    return [line.split("=", 1)[1].split() for line in lines if line.startswith("ExecStart=")]


@pytest.mark.parametrize("path", NAMED_FILES, ids=lambda path: path.name)
def test_every_setting_named_in_a_deploy_file_exists(path: Path) -> None:
    known = setting_env_names()
    named = set(SETTING.findall(path.read_text()))
    assert named, f"{path.name} names no setting"
    assert named <= known, f"unknown settings in {path.name}: {sorted(named - known)}"


def test_every_command_the_deploy_files_run_exists() -> None:
    commands = [
        service["command"]
        for service in compose()["services"].values()
        if isinstance(service.get("command"), list) and service["command"][0] == "adda-dashboard"
    ]
    commands += [json.loads(args) for name, args in dockerfile_instructions() if name == "CMD"]
    for unit in UNITS:
        for words in unit_commands(unit):
            assert words[0] == INSTALLED_BINARY
            commands.append(["adda-dashboard", *words[1:]])
    assert len(commands) >= 8
    for words in commands:
        check_command(words)


def test_the_compose_file_runs_the_whole_service() -> None:
    services = compose()["services"]
    assert {"nginx", "app1", "app2", "worker", "postgres", "redis"} <= set(services)
    for name in ("postgres", "redis"):
        assert services[name]["volumes"] and services[name]["healthcheck"]["test"]
    assert services["worker"]["command"] == ["adda-dashboard", "worker"]
    for name in ("app1", "app2"):
        assert services[name]["command"] == ["adda-dashboard", "serve", "--prod"]
    nginx_address = services["nginx"]["networks"]["backend"]["ipv4_address"]
    for name in ("app1", "app2", "worker"):
        environment = services[name]["environment"]
        assert environment["ADDA_TRUSTED_PROXIES"] == nginx_address
        assert environment["ADDA_REDIS_URL"].startswith("redis://redis:")
        assert "@postgres:5432/" in environment["ADDA_DATABASE_URL"]
    site = services["nginx-site"]["command"]
    upstreams = [site[i + 1] for i, word in enumerate(site) if word == "--upstream"]
    assert upstreams == ["app1:5000", "app2:5000"]
    assert services["nginx"]["depends_on"]["nginx-site"]["condition"] == (
        "service_completed_successfully"
    )


def test_the_dockerfile_builds_one_unprivileged_image_for_server_and_worker() -> None:
    instructions = dockerfile_instructions()
    stages = [args.split()[-1] for name, args in instructions if name == "FROM"]
    assert stages == ["build", "proxy", "app"], "app last: the default target"
    app_stage = instructions[max(i for i, (name, _) in enumerate(instructions) if name == "FROM") :]
    users = [args for name, args in app_stage if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    (healthcheck,) = [args for name, args in app_stage if name == "HEALTHCHECK"]
    assert "/health" in healthcheck and "urllib.request" in healthcheck
    assert [json.loads(args) for name, args in app_stage if name == "CMD"] == [
        ["adda-dashboard", "serve", "--prod"]
    ]
    (python_image,) = [a for n, a in instructions if n == "ARG" and a.startswith("PYTHON_IMAGE=")]
    version = re.search(r"python:(\d+\.\d+)-slim", python_image)
    assert version, python_image
    requires = re.search(r'requires-python = "([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert requires and version.group(1) in SpecifierSet(requires.group(1))


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_the_systemd_unit_runs_hardened_as_its_own_user(unit: Path) -> None:
    text = unit.read_text()
    for line in (
        "User=adda-dashboard",
        "EnvironmentFile=/etc/adda-dashboard/env",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/adda-dashboard /var/log/adda-dashboard",
    ):
        assert f"\n{line}\n" in text, line
    reloads = "\nExecReload=/bin/kill -HUP $MAINPID\n" in text
    assert reloads == (unit.name == "adda-dashboard.service")


def _systemd_analyze_or_skip() -> str:
    found = shutil.which("systemd-analyze")
    if found:
        return found
    message = "systemd-analyze not found: systemd units NOT VERIFIED (apt-get install systemd)"
    if os.environ.get("CI"):
        pytest.fail(message)
    warnings.warn(message, stacklevel=1)
    pytest.skip(message)


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_the_systemd_unit_passes_systemd_analyze_verify(unit: Path, tmp_path: Path) -> None:
    analyze = _systemd_analyze_or_skip()
    # verify wants ExecStart's binary to exist: this checkout's stands in for the installed one.
    binary = str(Path(sys.executable).with_name("adda-dashboard"))
    assert Path(binary).exists(), binary
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace(INSTALLED_BINARY, binary))
    checked = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    # It reports unknown keys and bad values on stderr but still exits 0: both must be clean.
    assert checked.returncode == 0, checked.stderr
    assert unit.name not in checked.stderr, checked.stderr
