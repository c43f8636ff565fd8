"""``recovery-bot doctor`` on a good set-up and on broken ones.

The Bot API is the in-repo fake server: doctor may only read from it (getMe, getWebhookInfo),
never send anything. Each check is also driven alone, with the clock and the database set up
to be right or wrong in one way at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import shutil
import socket
import sqlite3
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from fake_bot_api import BOT_USERNAME, TOKEN, FakeBotApi

from bot.config import Settings
from bot.doctor import FAIL, OK, SKIP, WARN, Check, Doctor, run_doctor
from bot.paths import CHECKOUT_ROOT
from bot.storage.store import open_engine

pytestmark = pytest.mark.timeout(120)
READ_ONLY_METHODS = {"getMe", "getWebhookInfo"}
GOOD_SECRET = "doctor-test-secret-0123456789abcdef"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(api: FakeBotApi | None, db: Path, **extra: str) -> dict[str, str]:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url if api else f"http://127.0.0.1:{_closed_port()}/bot",
        "DATABASE_URL": f"sqlite:///{db}",
        "WEBHOOK_URL": "https://bot.example.org/tg",
        "WEBHOOK_SECRET": GOOD_SECRET,
        "DEFAULT_COUNTRY": "US",
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v != ""}


async def _migrated(db: Path, revision: str = "head") -> Path:
    engine, _ = await open_engine(f"sqlite:///{db}", revision=revision)
    await engine.dispose()
    return db


def _by_name(checks: Iterable[Check], name: str) -> list[Check]:
    return [c for c in checks if c.name == name]


def _status(checks: Iterable[Check], name: str) -> set[str]:
    return {c.status for c in _by_name(checks, name)}


async def _doctor_cli(env: dict[str, str], *options: str, **kw: str) -> tuple[int, str]:
    """``python -m bot [--content C] doctor [options]`` in a subprocess: (code, stdout+stderr)."""
    content = ["--content", kw["content"]] if "content" in kw else []
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *content,
        "doctor",
        *options,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


# ---------------------------------------------------------------------- whole runs (the CLI)
async def test_good_setup_is_ready_and_sends_nothing(api: FakeBotApi, tmp_path: Path) -> None:
    """The whole run but lint's rules (20 s; CI's .ci/ship runs doctor in full on the installed
    wheel, and test_lint_errors_fail covers how doctor reports them)."""
    db = await _migrated(tmp_path / "bot.db")
    code, out = await _doctor_cli(_env(api, db), "--no-lint")
    assert code == 0, out
    assert "doctor: ready: 0 problem(s)" in out
    assert FAIL not in out
    for name in ("config", "token", "telegram", "database", "content", "lint", "webhook"):
        assert f" {name} " in out, name
    assert f"@{BOT_USERNAME}" in out
    assert "reachable and migrated" in out
    assert "content rules not checked" in out
    assert "WEBHOOK_SECRET is set" in out
    assert "agrees with Telegram" in out
    assert TOKEN not in out
    assert {c.method for c in api.calls} <= READ_ONLY_METHODS
    assert api.webhook["url"] == ""  # doctor registered nothing


async def test_broken_setup_lists_every_problem_with_a_fix(api: FakeBotApi, tmp_path: Path) -> None:
    broken = tmp_path / "catalog"
    shutil.copytree(CHECKOUT_ROOT / "intents", broken / "intents")
    shutil.copytree(CHECKOUT_ROOT / "content", broken / "content")
    (broken / "content" / "sources.yaml").write_text("sources: [unclosed\n")
    env = _env(
        api,
        tmp_path / "bot.db",
        TELEGRAM_BOT_TOKEN="987654321:AAWrongTokenButWellFormed_xyzxyzxyz",
        DATABASE_URL=f"postgresql://bot:hunter2@127.0.0.1:{_closed_port()}/bot",
        WEBHOOK_URL="http://bot.example.org:8080/tg",
        WEBHOOK_SECRET="has spaces!",
    )
    code, out = await _doctor_cli(env, content=str(broken))
    assert code == 1, out
    assert "doctor: not ready: 5 problem(s)" in out
    for expected in (
        "FAIL  telegram  Telegram rejected TELEGRAM_BOT_TOKEN",
        "FAIL  database  cannot reach PostgreSQL",
        "FAIL  content   the content does not load",
        "sources.yaml",
        "FAIL  webhook",
        "FAIL  secret",
    ):
        assert expected in out, expected
    assert out.count("fix: ") >= 5
    assert "hunter2" not in out
    assert "987654321:AAWrongTokenButWellFormed_xyzxyzxyz" not in out
    assert {c.method for c in api.calls} <= READ_ONLY_METHODS


def test_configuration_error_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    out = io.StringIO()
    code = run_doctor({"PORT": "eighty", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, out)
    assert code == 1
    assert "FAIL  config    PORT must be a whole number" in out.getvalue()


# ---------------------------------------------------------------------- token and Telegram
def _token_checks(env: dict[str, str]) -> tuple[Doctor, list[Check]]:
    doctor = Doctor(env, lint=False)
    return doctor, list(doctor.token(Settings.from_env(env)))


async def test_token_missing_or_malformed_fails_without_calling_telegram(
    api: FakeBotApi, tmp_path: Path
) -> None:
    for token, message in (("", "is not set"), ("AAE-no-digits", "does not look like")):
        env = _env(api, tmp_path / "bot.db", TELEGRAM_BOT_TOKEN=token)
        _, checks = await asyncio.to_thread(_token_checks, env)
        (check,) = checks
        assert check.status == FAIL and message in check.message
        assert "@BotFather" in check.fix
    assert api.calls == []


async def test_token_rejected_by_telegram_fails(api: FakeBotApi, tmp_path: Path) -> None:
    env = _env(
        api, tmp_path / "bot.db", TELEGRAM_BOT_TOKEN="111111111:AAAnotherWellFormedToken_abcdef"
    )
    _, checks = await asyncio.to_thread(_token_checks, env)
    assert _status(checks, "token") == {OK}
    assert _status(checks, "telegram") == {FAIL}
    assert "rejected" in _by_name(checks, "telegram")[0].message


async def test_token_accepted_and_webhook_state_reported(api: FakeBotApi, tmp_path: Path) -> None:
    api.webhook = {"url": "https://old.example.org/hook", "secret_token": None}
    env = _env(api, tmp_path / "bot.db")
    doctor, checks = await asyncio.to_thread(_token_checks, env)
    telegram = _by_name(checks, "telegram")
    assert telegram[0].status == OK and f"@{BOT_USERNAME}" in telegram[0].message
    assert any("https://old.example.org/hook" in c.message for c in telegram)
    assert doctor.telegram_date is not None  # the clock's reference
    assert [c.method for c in api.calls] == ["getMe", "getWebhookInfo"]
    assert api.webhook["url"] == "https://old.example.org/hook"  # untouched


def test_unreachable_api_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    env = _env(None, tmp_path / "bot.db")
    doctor = Doctor(env, lint=False, http_timeout=2)
    checks = list(doctor.token(Settings.from_env(env)))
    assert _status(checks, "telegram") == {WARN}
    assert "not checked" in _by_name(checks, "telegram")[0].message
    assert doctor.telegram_date is None


# ---------------------------------------------------------------------- database
def _database(env: dict[str, str]) -> list[Check]:
    return list(Doctor(env, lint=False, http_timeout=3).database(Settings.from_env(env)))


async def test_database_migrated_ok(tmp_path: Path) -> None:
    db = await _migrated(tmp_path / "bot.db")
    checks = await asyncio.to_thread(_database, _env(None, db))
    assert _status(checks, "database") == {OK}


@pytest.mark.postgres
async def test_database_postgres_migrated_ok_and_empty_warns(pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    (empty,) = await asyncio.to_thread(_database, env)
    assert empty.status == WARN and "empty" in empty.message
    engine, _ = await open_engine(pg_url)
    await engine.dispose()
    (migrated,) = await asyncio.to_thread(_database, env)
    assert migrated.status == OK and "PostgreSQL" in migrated.message


async def test_database_not_created_yet_warns_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "later" / "bot.db"
    (check,) = await asyncio.to_thread(_database, _env(None, db))
    assert check.status == WARN and "does not exist yet" in check.message
    assert not db.exists() and not db.parent.exists()


async def test_database_empty_or_behind_warns(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    (check,) = await asyncio.to_thread(_database, _env(None, empty))
    assert check.status == WARN and "empty" in check.message
    assert "recovery-bot migrate" in check.fix
    old = await _migrated(tmp_path / "old.db", revision="0001")
    (check,) = await asyncio.to_thread(_database, _env(None, old))
    assert check.status == WARN and "schema 0001" in check.message


async def test_database_newer_than_this_version_fails(tmp_path: Path) -> None:
    db = await _migrated(tmp_path / "bot.db")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    (check,) = await asyncio.to_thread(_database, _env(None, db))
    assert check.status == FAIL and "newer than this recovery-bot knows" in check.message


def test_database_unreachable_or_malformed_fails(tmp_path: Path) -> None:
    url = f"postgresql://bot:hunter2@127.0.0.1:{_closed_port()}/bot"
    (check,) = _database({"DATABASE_URL": url})
    assert check.status == FAIL and "cannot reach PostgreSQL" in check.message
    assert "hunter2" not in check.message
    (check,) = _database({"DATABASE_URL": "mysql://bot@localhost/bot"})
    assert check.status == FAIL and "unsupported scheme" in check.message


async def test_sqlite_on_a_platform_with_a_wiped_disk_warns(tmp_path: Path) -> None:
    db = await _migrated(tmp_path / "bot.db")
    checks = await asyncio.to_thread(_database, _env(None, db, DYNO="web.1"))
    assert checks[0].status == WARN and "Heroku" in checks[0].message
    assert "PostgreSQL" in checks[0].fix


# ---------------------------------------------------------------------- content
def _content(env: dict[str, str]) -> list[Check]:
    return list(Doctor(env, lint=False).content(Settings.from_env(env)))


def test_content_from_the_installed_copy_loads() -> None:
    checks = _content({"DEFAULT_COUNTRY": "GB"})
    assert checks[0].status == OK and "intents load" in checks[0].message
    assert FAIL not in {c.status for c in checks}


def test_content_home_without_the_folders_fails(tmp_path: Path) -> None:
    (check,) = _content({"RECOVERY_BOT_HOME": str(tmp_path)})
    assert check.status == FAIL and "intents/ or content/" in check.message
    assert "copy-content" in check.fix


def test_unknown_default_country_fails() -> None:
    checks = _content({"DEFAULT_COUNTRY": "XX"})
    (bad,) = [c for c in checks if c.status == FAIL]
    assert "DEFAULT_COUNTRY=XX" in bad.message and "US" in bad.fix


def test_lint_errors_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Doctor reports lint's verdict (the rules themselves are tested in test_lint.py)."""
    import bot.lint as lint
    from bot.lint.findings import error

    def report_with_an_error(root: Path | None = None, today: object = None) -> lint.LintReport:
        report = lint.LintReport(root or CHECKOUT_ROOT)
        report.findings.append(
            error(
                CHECKOUT_ROOT / "content" / "answers" / "naloxone.md", 3, "words", "too long", "cut"
            )
        )
        return report

    monkeypatch.setattr(lint, "run_rules", report_with_an_error)
    checks = list(Doctor({}, lint=True)._lint(CHECKOUT_ROOT))
    (check,) = checks
    assert check.status == FAIL and "1 content error(s)" in check.message
    assert "naloxone.md:3" in check.message and "recovery-bot lint" in check.fix


# ---------------------------------------------------------------------- webhook and secret
@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        (None, OK, "polling mode"),
        ("https://bot.example.org/tg", OK, "webhook mode"),
        ("https://bot.example.org:8443/tg", OK, "webhook mode"),
        ("http://bot.example.org/tg", FAIL, "https://"),
        ("https://bot.example.org:8080/tg", FAIL, "not 8080"),
        ("https://localhost/tg", FAIL, "cannot be reached"),
        ("https://192.168.1.20/tg", FAIL, "cannot be reached"),
        ("https:///tg", FAIL, "no host"),
    ],
)
def test_webhook_url(url: str | None, status: str, words: str) -> None:
    env = {"WEBHOOK_URL": url} if url else {}
    (check,) = Doctor(env).webhook(Settings.from_env(env))
    assert check.status == status and words in check.message, check


def test_polling_with_port_mentions_healthz() -> None:
    (check,) = Doctor({"PORT": "5000"}).webhook(Settings.from_env({"PORT": "5000"}))
    assert "/healthz is served on port 5000" in check.message


@pytest.mark.parametrize(
    ("webhook", "secret", "status"),
    [
        (None, None, SKIP),
        ("https://bot.example.org/tg", None, WARN),
        ("https://bot.example.org/tg", "has spaces!", FAIL),
        ("https://bot.example.org/tg", "x" * 257, FAIL),
        ("https://bot.example.org/tg", "short", WARN),
        ("https://bot.example.org/tg", GOOD_SECRET, OK),
    ],
)
def test_webhook_secret(webhook: str | None, secret: str | None, status: str) -> None:
    env = {k: v for k, v in (("WEBHOOK_URL", webhook), ("WEBHOOK_SECRET", secret)) if v}
    (check,) = Doctor(env).secret(Settings.from_env(env))
    assert check.status == status, check
    if status in (WARN, FAIL):
        assert "secrets.token_urlsafe" in check.fix


# ---------------------------------------------------------------------- clock
TELEGRAM_NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("offset", "status", "words"),
    [
        (dt.timedelta(seconds=3), OK, "agrees"),
        (dt.timedelta(minutes=3), WARN, "3 min ahead of"),
        (-dt.timedelta(hours=2), FAIL, "2 h behind"),
        (dt.timedelta(days=400), FAIL, "400 days ahead of"),
    ],
)
def test_clock_against_telegram(offset: dt.timedelta, status: str, words: str) -> None:
    doctor = Doctor({}, now=lambda: TELEGRAM_NOW + offset)
    doctor.telegram_date = TELEGRAM_NOW
    (check,) = doctor.clock()
    assert check.status == status and words in check.message, check


def test_clock_before_this_version_existed_fails() -> None:
    doctor = Doctor({}, now=lambda: dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    (check,) = doctor.clock()
    assert check.status == FAIL and "NTP" in check.fix


def test_clock_without_telegram_is_checked_against_the_content() -> None:
    doctor = Doctor({}, now=lambda: TELEGRAM_NOW)
    doctor.newest_review = TELEGRAM_NOW.date() + dt.timedelta(days=30)
    (check,) = doctor.clock()
    assert check.status == FAIL and "newest review" in check.message
    doctor.newest_review = TELEGRAM_NOW.date() - dt.timedelta(days=30)
    (check,) = doctor.clock()
    assert check.status == OK and "not compared" in check.message


def test_migrate_command_then_doctor_finds_the_database_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    db = tmp_path / "new" / "bot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    assert main(["migrate"]) == 0
    assert "is at the latest schema" in capsys.readouterr().out
    (check,) = _database({"DATABASE_URL": f"sqlite:///{db}"})
    assert check.status == OK
    assert main(["migrate"]) == 0  # again: nothing to do, no error
