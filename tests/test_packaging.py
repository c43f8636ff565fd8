"""Where the bot finds its catalog: RECOVERY_BOT_HOME or --content, then the packaged copy.

An installed wheel keeps ``intents/`` and ``content/`` in ``bot/_content/`` (setup.py puts them
there; CI builds the wheel, installs it outside the repository and runs it from another
folder). A checkout reads the top-level folders. An operator's own copy wins over both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import bot
from bot import paths
from bot.cli import main
from bot.lint import run_rules

pytestmark = pytest.mark.timeout(120)
MARKER = "Edited by the operator of this deployment."


def _cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` from ``cwd`` (not the repository), RECOVERY_BOT_HOME unset."""
    base = {k: v for k, v in os.environ.items() if k != paths.HOME_VARIABLE}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**base, "XDG_DATA_HOME": str(cwd / "data"), **(env or {})},
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.fixture
def own_copy(tmp_path: Path) -> Path:
    """An operator's copy of the catalog with one answer edited."""
    copy = tmp_path / "my-catalog"
    paths.copy_content(copy, paths.CHECKOUT_ROOT)
    answer = copy / "content" / "answers" / "tolerance.md"
    text = answer.read_text()
    assert "Tolerance means" in text
    answer.write_text(text.replace("Tolerance means", f"{MARKER} Tolerance means", 1))
    return copy


def test_lookup_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(paths.HOME_VARIABLE, raising=False)
    # A checkout: no packaged copy next to the package, so the top-level folders.
    assert paths.project_root() == paths.CHECKOUT_ROOT
    assert (paths.intents_dir() / "brain.yaml").is_file()
    # An installed wheel: the packaged copy inside the package.
    packaged = tmp_path / "site-packages" / "bot" / "_content"
    (packaged / "intents").mkdir(parents=True)
    (packaged / "content").mkdir()
    monkeypatch.setattr(paths, "PACKAGED_ROOT", packaged)
    assert paths.project_root() == packaged
    assert paths.content_dir() == packaged / "content"
    assert "packaged copy" in paths.describe_root()
    # The operator's own copy wins over both.
    own = tmp_path / "own"
    monkeypatch.setenv(paths.HOME_VARIABLE, str(own))
    assert paths.project_root() == own
    assert paths.intents_dir() == own / "intents"
    assert "RECOVERY_BOT_HOME" in paths.describe_root()
    # An explicit environment (doctor's) is read instead of the process's.
    assert paths.project_root({}) == packaged


def test_content_option_must_name_a_content_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "intents").mkdir()
    assert main(["--content", str(tmp_path), "lint"]) == 2
    err = capsys.readouterr().err
    assert "no content/ folder" in err and "copy-content" in err


def test_content_option_answers_from_the_own_copy(own_copy: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    plain = _cli("ask", "--json", "what is tolerance", cwd=elsewhere)
    assert plain.returncode == 0, plain.stderr
    assert MARKER not in json.loads(plain.stdout)["reply"]
    for args, env in (
        (["--content", str(own_copy)], None),
        ([], {paths.HOME_VARIABLE: str(own_copy)}),
    ):
        done = _cli(*args, "ask", "--json", "what is tolerance", cwd=elsewhere, env=env)
        assert done.returncode == 0, done.stderr
        decision = json.loads(done.stdout)
        assert decision["intent"] == "tolerance"
        assert decision["reply"].startswith(MARKER)


def test_eval_and_lint_read_the_own_copy(own_copy: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- text: what is tolerance\n  expect: tolerance\n- text: i want to die\n  expect: crisis\n"
    )
    done = _cli("--content", str(own_copy), "eval", "--format", "json", str(cases), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["cases"] == 2
    # lint checks the copy it is pointed at: a broken file there is reported with its path.
    (own_copy / "content" / "sources.yaml").write_text("sources: [unclosed\n")
    report = run_rules(own_copy)
    (finding,) = report.errors
    assert finding.path == own_copy / "content" / "sources.yaml"


def test_copy_content_makes_an_editable_copy_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "catalog"
    done = _cli("copy-content", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "RECOVERY_BOT_HOME=" in done.stdout
    for name in ("intents", "content"):
        theirs = sorted(
            p.relative_to(paths.CHECKOUT_ROOT / name)
            for p in (paths.CHECKOUT_ROOT / name).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        )
        mine = sorted(
            p.relative_to(target / name) for p in (target / name).rglob("*") if p.is_file()
        )
        assert mine == theirs
    again = _cli("copy-content", str(target), cwd=tmp_path)
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"recovery-bot {bot.__version__}"


def test_sign_off_is_refused_on_the_installed_copy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packaged = tmp_path / "bot" / "_content"
    (packaged / "intents").mkdir(parents=True)
    (packaged / "content").mkdir()
    monkeypatch.setattr(paths, "PACKAGED_ROOT", packaged)
    monkeypatch.delenv(paths.HOME_VARIABLE, raising=False)
    args = ["review", "--sign", "--reviewer", "Dr A", "--role", "physician", "--all"]
    assert main(args) == 2
    assert "copy-content" in capsys.readouterr().err
    assert not (packaged / "content" / "signoffs.yaml").exists()
