"""Without a PostgreSQL server the PostgreSQL cases skip, or fail under REQUIRE_POSTGRES=1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_pg_tests(tmp_path: Path, require: str | None) -> subprocess.CompletedProcess[str]:
    broken = tmp_path / "bin"
    broken.mkdir()
    for tool in ("initdb", "pg_ctl"):
        script = broken / tool
        script.write_text("#!/bin/sh\necho 'simulated broken install' >&2\nexit 1\n")
        script.chmod(0o755)
    env = {**os.environ, "PG_BINDIR": str(broken)}
    env.pop("REQUIRE_POSTGRES", None)
    if require is not None:
        env["REQUIRE_POSTGRES"] = require
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "tests/test_storage_migrations.py",
            "-k",
            "postgres",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_server_postgres_cases_skip_with_reason(tmp_path: Path) -> None:
    out = _run_pg_tests(tmp_path, None)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 skipped" in out.stdout
    assert "PostgreSQL test server could not start" in out.stdout
    assert "REQUIRE_POSTGRES=1" in out.stdout


@pytest.mark.parametrize("value", ["1", "true"])
def test_require_postgres_turns_the_skip_into_a_failure(tmp_path: Path, value: str) -> None:
    out = _run_pg_tests(tmp_path, value)
    assert out.returncode != 0
    assert "error" in out.stdout or "failed" in out.stdout
    assert "PostgreSQL test server could not start" in out.stdout
