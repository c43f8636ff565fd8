"""The deploy files agree with the code and with each other.

No Docker engine runs here, so CI runs the Dockerfile's build stage itself
(.ci/dockerfile_build.py), lints it with hadolint and validates compose.yaml against the
Compose schema; these tests pin down what those tools cannot know: every variable the bot reads
is in .env.example, no secret is baked in, the health check, the non-root user, the lock file.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.telegram.webhook import HEALTH_PATH

ROOT = Path(__file__).resolve().parent.parent
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD")
sys.path.insert(0, str(ROOT / ".ci"))
from dockerfile_build import build_stage, instructions  # noqa: E402


def _read(name: str) -> str:
    return (ROOT / name).read_text()


def _variables_the_bot_reads() -> set[str]:
    names = set(re.findall(r'"([A-Z][A-Z0-9_]{3,})"', _read("bot/config.py")))
    names -= {"INFO", "XDG_DATA_HOME"}  # a log level; the desktop's data folder
    return names | {"RECOVERY_BOT_HOME"}


def _env_example() -> dict[str, bool]:
    """Variable -> whether it is switched on (uncommented) in .env.example."""
    found: dict[str, bool] = {}
    for line in _read(".env.example").splitlines():
        match = re.match(r"^(#\s?)?([A-Z][A-Z0-9_]+)=", line)
        if match:
            found[match.group(2)] = match.group(1) is None
    return found


def test_env_example_lists_every_variable() -> None:
    listed = _env_example()
    assert _variables_the_bot_reads() - set(listed) == set()
    assert {"POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB"} <= set(listed)
    # Only what must be filled in is switched on, and empty: the template holds no secret.
    text = _read(".env.example")
    for name in SECRET_WORDS:
        for value in re.findall(rf"^[A-Z_]*{name}[A-Z_]*=(.*)$", text, re.M):
            assert value == "", f"{name} has a value in .env.example"


def test_config_reads_only_documented_variables() -> None:
    docs = _read("docs/DEPLOY.md")
    for name in _variables_the_bot_reads():
        assert f"`{name}`" in docs, f"{name} is not in docs/DEPLOY.md"


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(_read("compose.yaml"))
    assert isinstance(data, dict)
    return data


def test_compose_starts_the_bot_after_a_healthy_postgres() -> None:
    compose = _compose()
    db, bot = compose["services"]["db"], compose["services"]["bot"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]  # a named volume, not a folder
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["build"] == "."
    assert bot["env_file"] == ".env"
    assert "@db:5432/" in bot["environment"]["DATABASE_URL"]
    for service in (db, bot):
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in SECRET_WORDS):
                assert str(value).startswith("${"), f"{key} is written into compose.yaml"


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for word, rest in instructions(ROOT / "Dockerfile"):
        if word == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((word, rest))
    return stages


def test_dockerfile_multi_stage_slim_non_root_with_a_health_check() -> None:
    stages = _stages()
    assert len(stages) == 2
    base = dict(instructions(ROOT / "Dockerfile"))["ARG"]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.\d+-slim(-\w+)?", base)
    python_minor = re.search(r"python:(3\.\d+)", base)
    assert python_minor and _read(".python-version").strip() == python_minor.group(1)
    final = stages[-1]
    (user,) = [rest for word, rest in final if word == "USER"]
    assert user.split(":")[0] not in ("0", "root")
    (health,) = [rest for word, rest in final if word == "HEALTHCHECK"]
    assert '"recovery-bot", "healthcheck"' in health
    (cmd,) = [rest for word, rest in final if word == "CMD"]
    assert cmd == '["recovery-bot", "run"]'
    env = " ".join(rest for word, rest in final if word == "ENV")
    assert "PORT=8080" in env  # polling mode serves /healthz for the HEALTHCHECK
    assert "HF_HUB_OFFLINE=1" in env


def test_dockerfile_installs_the_wheel_from_the_lock_file() -> None:
    build = build_stage(ROOT / "Dockerfile")
    run = " && ".join(rest for word, rest in build if word == "RUN")
    assert "pip wheel --no-deps" in run
    assert "--require-hashes --requirement requirements.txt" in run
    assert '--no-deps --no-index "$DIST"/recovery_bot-*.whl' in run
    venv = dict(
        pair.split("=", 1) for word, rest in build if word == "ENV" for pair in rest.split()
    )["VENV"]
    final = _stages()[-1]
    assert ("COPY", f"--from=build {venv} {venv}") in final
    assert any(word == "ENV" and f"PATH={venv}/bin:" in rest for word, rest in final)


def test_no_secret_is_baked_into_the_image() -> None:
    for word, rest in instructions(ROOT / "Dockerfile"):
        if word in ("ENV", "ARG", "LABEL"):
            assert not any(s in rest.upper() for s in SECRET_WORDS), rest
    ignored = _read(".dockerignore").splitlines()
    assert ".env" in ignored and ".git" in ignored and ".venv" in ignored


def test_lock_file_pins_every_runtime_dependency_with_hashes() -> None:
    lock = _read("requirements.txt")
    pinned = {
        m.group(1).lower().replace("_", "-")
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==\S+", lock, re.M)
    }
    pyproject = _read("pyproject.toml")
    block = pyproject.split("dependencies = [", 1)[1].split("]\n", 1)[0]
    wanted = {
        re.split(r"[\[<>=~ ]", line.strip().strip('",'))[0].lower()
        for line in block.splitlines()
        if line.strip().startswith('"')
    }
    assert wanted - pinned == set()
    for requirement in re.findall(r"^[A-Za-z0-9_.-]+==[^\n]*$", lock, re.M):
        assert requirement.rstrip().endswith("\\"), f"{requirement} has no hash"
    assert not re.search(r"^(torch|nvidia-|triton|sentence-transformers)", lock, re.M)


def test_procfile_and_platform_files() -> None:
    procfile = dict(line.split(": ", 1) for line in _read("Procfile").splitlines() if line)
    assert procfile == {"web": "python -m bot run", "worker": "python -m bot run"}
    render = yaml.safe_load(_read("render.yaml"))
    (service,) = render["services"]
    assert service["healthCheckPath"] == HEALTH_PATH
    assert "requirements.txt" in service["buildCommand"]
    assert service["startCommand"] == procfile["web"]
    database = {v["key"]: v for v in service["envVars"]}["DATABASE_URL"]
    assert database["fromDatabase"]["name"] == render["databases"][0]["name"]
    tomllib = pytest.importorskip("tomllib")
    fly = tomllib.loads(_read("fly.toml"))
    assert fly["build"]["dockerfile"] == "Dockerfile"
    assert fly["http_service"]["internal_port"] == int(fly["env"]["PORT"])
    assert fly["http_service"]["checks"][0]["path"] == HEALTH_PATH
    assert fly["http_service"]["auto_stop_machines"] == "off"  # check-ins need it running


def test_changelog_has_the_current_version_or_an_unreleased_section() -> None:
    import bot

    headings = re.findall(r"^## \[([^\]]+)\]", _read("CHANGELOG.md"), re.M)
    assert headings, "CHANGELOG.md has no version sections"
    assert headings[0] == "Unreleased" or headings[0] == bot.__version__
    for heading in headings[1:]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", heading), heading
