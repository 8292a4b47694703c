"""A production start without a signing secret stops at once, naming the setting to set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ADDA_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "adda_dashboard", "migrate"],
        cwd=tmp_path,  # no .env from the working tree
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_start_without_a_secret_exits_non_zero_naming_the_setting(
    tmp_path: Path,
) -> None:
    result = run_cli(
        tmp_path,
        ADDA_ENVIRONMENT="production",
        ADDA_VAR_DIR=str(tmp_path / "var"),
        ADDA_DATABASE_URL=f"sqlite:///{(tmp_path / 'prod.db').as_posix()}",
    )
    assert result.returncode != 0
    assert "ADDA_JWT_SECRET" in result.stdout + result.stderr
    assert not (tmp_path / "prod.db").exists(), "nothing is touched before the secret check"
    assert not (tmp_path / "var" / "jwt_secret").exists(), "no secret is made up in production"


def test_the_same_start_with_a_secret_succeeds(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        ADDA_ENVIRONMENT="production",
        ADDA_JWT_SECRET="a-production-secret-" + "z" * 40,
        ADDA_VAR_DIR=str(tmp_path / "var"),
        ADDA_LOG_DIR=str(tmp_path / "logs"),
        ADDA_DATABASE_URL=f"sqlite:///{(tmp_path / 'prod.db').as_posix()}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "prod.db").exists()
