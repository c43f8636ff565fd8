"""The clinical sign-off path (issue #15 item 5): review records with role and guidance, sign-offs
recorded as data, the review packet, and lint warnings while texts lack a clinician's sign-off."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from bot.catalog import Catalog, load_answer
from bot.cli import main
from bot.crisis.resources import CrisisResources
from bot.lint.context import load_context
from bot.lint.signoffs import check_review_records, check_signoffs
from bot.review_packet import build_packet, render, run_sign
from bot.signoff import (
    HELP_LINES,
    coverage,
    fingerprint,
    help_lines_snapshot,
    is_clinical_role,
    load_signoffs,
    signable_texts,
)
from bot.yamlfile import ContentError

PROJECT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 12, 2)
DOCTOR = "addiction-medicine physician"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the project's catalog and content, safe to edit and sign."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT / "intents", root / "intents")
    shutil.copytree(PROJECT / "content", root / "content")
    return root


def sign(root: Path, answers: str | None, role: str = DOCTOR, on: dt.date = TODAY) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = run_sign(
        "Dr Ada Example",
        role,
        answers,
        answers is None,
        "checked against TIP 63",
        on,
        out,
        err,
        root,
    )
    assert code == 0, err.getvalue()
    return out.getvalue()


def status(root: Path) -> dict[str, str]:
    catalog = Catalog.load(root)
    resources = CrisisResources.load(root / "content" / "crisis_resources.yaml")
    texts = signable_texts(catalog, resources)
    found = coverage(texts, load_signoffs(root / "content" / "signoffs.yaml"))
    return {scope: cov.status(TODAY) for scope, cov in found.items()}


def edit_answer(root: Path, answer_id: str, old: str, new: str) -> None:
    path = root / "content" / "answers" / f"{answer_id}.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def first_sentence(root: Path, answer_id: str) -> str:
    """The first line of an answer's body (edited to make a change)."""
    return Catalog.load(root).intents[answer_id].answer.text.splitlines()[0]


# --- review records: role and guidance ---------------------------------------------------------


def write_answer(tmp_path: Path, review: str) -> Path:
    path = tmp_path / "naloxone.md"
    body = textwrap.indent(textwrap.dedent(review), "  ")
    front = "id: naloxone\nsources:\n  - cdc-xylazine\nreview:\n" + body
    path.write_text(f"---\n{front}---\nNaloxone reverses opioid overdoses.\n", encoding="utf-8")
    return path


def test_review_record_has_role_and_dated_guidance(tmp_path: Path) -> None:
    path = write_answer(
        tmp_path,
        """\
          by: Dr Ada Example
          role: addiction-medicine physician
          on: 2026-12-01
          checked: every statement
          guidance:
            - {source: cdc-xylazine, dated: "2024-03"}
            - {source: samhsa-tip63, dated: 2021-08-15}
            - {source: fda-naloxone-otc, dated: "2023"}
        """,
    )
    review = load_answer(path, "naloxone", path, 1).review
    assert review is not None and review.role == DOCTOR
    assert [(g.source, g.dated, g.line) for g in review.guidance] == [
        ("cdc-xylazine", "2024-03", 11),
        ("samhsa-tip63", "2021-08-15", 12),
        ("fda-naloxone-otc", "2023", 13),
    ]


@pytest.mark.parametrize(
    ("review", "line", "message"),
    [
        ("by: x\non: 2026-12-01\nguidance: cdc-xylazine\n", 8, "guidance must be a list"),
        (
            "by: x\non: 2026-12-01\nguidance:\n  - {source: cdc-xylazine, dated: 24-03}\n",
            9,
            "must be YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        (
            "by: x\non: 2026-12-01\nguidance:\n  - {source: cdc-xylazine, date: 2024}\n",
            9,
            "unknown field(s) ['date']",
        ),
        ("by: x\non: 2026-12-01\nguidance:\n  - {dated: '2024'}\n", 9, "'source'"),
        ("by: x\nrol: nurse\non: 2026-12-01\n", 6, "unknown field(s) ['rol']"),
        ("by: x\nrole: ''\non: 2026-12-01\n", 7, "role must be text"),
    ],
)
def test_broken_review_records_name_file_and_line(
    tmp_path: Path, review: str, line: int, message: str
) -> None:
    path = write_answer(tmp_path, review)
    with pytest.raises(ContentError) as err:
        load_answer(path, "naloxone", path, 1)
    assert err.value.path == path and err.value.line == line
    assert message in err.value.message


def test_lint_checks_guidance_sources_exist_and_are_not_in_the_future(root: Path) -> None:
    edit_answer(
        root,
        "cbt",
        "review:\n",
        'review:\n  guidance:\n    - {source: no-such-guidance, dated: "2024"}\n'
        '    - {source: samhsa-tip63, dated: "2031-01"}\n',
    )
    found = list(check_review_records(load_context(root), TODAY))
    assert [(f.severity, f.rule) for f in found] == [("error", "review")] * 2
    assert "no-such-guidance" in found[0].message and found[0].path.name == "cbt.md"
    assert found[0].line is not None and found[1].line == found[0].line + 1
    assert "in the future" in found[1].message


# --- sign-offs as data -------------------------------------------------------------------------


def test_a_signoff_covers_exactly_the_signed_text(root: Path) -> None:
    assert status(root)["naloxone"] == "never signed by a clinician"
    printed = sign(root, "naloxone,help_lines")
    assert "signed 2 text(s)" in printed
    now = status(root)
    assert now["naloxone"].startswith("signed by Dr Ada Example (addiction-medicine physician)")
    assert now[HELP_LINES].startswith("signed by")
    assert now["methadone"] == "never signed by a clinician"
    data = (root / "content" / "signoffs.yaml").read_text(encoding="utf-8")
    assert 'reviewer: "Dr Ada Example"' in data and "naloxone:" in data
    digest = fingerprint(Catalog.load(root).intents["naloxone"].answer.text)
    assert digest in data
    assert (root / "content" / "signoffs" / f"{digest}.txt").exists()

    sentence = first_sentence(root, "naloxone")
    edit_answer(root, "naloxone", sentence, sentence + " right away")
    assert status(root)["naloxone"] == f"changed since Dr Ada Example signed it on {TODAY}"


def test_front_matter_edits_keep_the_signoff(root: Path) -> None:
    sign(root, "naloxone")
    path = root / "content" / "answers" / "naloxone.md"
    text = path.read_text(encoding="utf-8")
    edited = re.sub(r"(?m)^  by: .*$", "  by: someone else", text, count=1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    assert status(root)["naloxone"].startswith("signed by")


def test_help_lines_signoff_follows_the_numbers_not_the_check_dates(root: Path) -> None:
    path = root / "content" / "crisis_resources.yaml"
    before = help_lines_snapshot(CrisisResources.load(path))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("verified_on: 2026-12-02", "verified_on: 2026-12-01"), "utf-8")
    assert help_lines_snapshot(CrisisResources.load(path)) == before
    path.write_text(text.replace('"0808 808 8000"', '"0808 808 8001"'), encoding="utf-8")
    assert "0808 808 8001" in help_lines_snapshot(CrisisResources.load(path))
    assert help_lines_snapshot(CrisisResources.load(path)) != before


def test_only_clinical_roles_count(root: Path) -> None:
    printed = sign(root, "naloxone", role="content editor (not a clinician)")
    assert "not a clinical role" in printed
    assert status(root)["naloxone"] == "never signed by a clinician"
    for role in (DOCTOR, "nurse", "pharmacist", "psychiatrist", "Nurse practitioner (NP)"):
        assert is_clinical_role(role), role
    for role in ("peer specialist", "content editor (not a clinician)", "volunteer"):
        assert not is_clinical_role(role), role


def test_sign_rejects_unknown_texts_and_missing_arguments(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = io.StringIO()
    code = run_sign("Dr A", DOCTOR, "nalaxone", False, "", TODAY, io.StringIO(), err, root)
    assert code == 2 and "nalaxone" in err.getvalue() and "naloxone" in err.getvalue()
    monkeypatch.setenv("RECOVERY_BOT_HOME", str(root))
    assert main(["review", "--sign", "--reviewer", "Dr A", "--answers", "naloxone"]) == 2
    assert "--role" in capsys.readouterr().err
    assert main(["review", "--sign", "--reviewer", "Dr A", "--role", "nurse", "--all"]) == 0
    assert all(s.startswith("signed by Dr A (nurse)") for s in status(root).values())


def test_broken_signoffs_file_is_a_lint_error_with_file_and_line(root: Path) -> None:
    path = root / "content" / "signoffs.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("signoffs: []", "signoffs:")
        + '  - reviewer: "Dr A"\n    role: nurse\n    on: 2026-12-01\n    signed:\n'
        "      naloxone: not-a-hash\n",
        encoding="utf-8",
    )
    found, _ = check_signoffs(load_context(root), TODAY)
    (f,) = found
    assert f.severity == "error" and f.path == path and "64 hex" in f.message
    assert f.line == len(path.read_text(encoding="utf-8").splitlines())


# --- lint: warnings while texts lack a current clinical sign-off -----------------------------


def test_lint_summarises_unsigned_texts_in_one_warning_with_details(root: Path) -> None:
    ctx = load_context(root)
    found, details = check_signoffs(ctx, TODAY)
    (summary,) = found
    total = len(details)
    assert summary.severity == "warning" and summary.rule == "clinical-signoff"
    assert f"{total} of {total} texts" in summary.message and "never signed" in summary.message
    assert {d.message.split(":")[0] for d in details} >= {"naloxone", "methadone", HELP_LINES}

    sign(root, None)  # --all
    found, details = check_signoffs(load_context(root), TODAY)
    assert found == [] and details == []

    sentence = first_sentence(root, "methadone")
    edit_answer(root, "methadone", sentence, sentence + " for many people")
    found, details = check_signoffs(load_context(root), TODAY)
    (summary,) = found
    assert "1 of" in summary.message and "changed since signed" in summary.message
    (detail,) = details
    assert detail.path.name == "methadone.md" and "changed since Dr Ada Example" in detail.message


def test_lint_warns_when_a_signoff_is_older_than_12_months(root: Path) -> None:
    sign(root, None, on=TODAY - dt.timedelta(days=400))
    found, details = check_signoffs(load_context(root), TODAY)
    (summary,) = found
    assert "signed more than 12 months ago" in summary.message
    assert all("more than 12 months ago" in d.message for d in details)


def test_lint_text_output_stays_short_and_verbose_lists_each_text(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.lint import run_rules
    from bot.lint.cli import format_json, format_text

    report = run_rules(root, TODAY)
    short = format_text(report)
    assert short.count("[clinical-signoff]") == 1
    assert format_text(report, verbose=True).count("[clinical-signoff]") == 1 + len(report.details)
    assert '"details"' in format_json(report)


# --- the packet ----------------------------------------------------------------------------


def test_packet_has_every_answer_sources_review_help_lines_and_form(root: Path) -> None:
    catalog = Catalog.load(root)
    text = render(build_packet(root, TODAY), "md")
    for intent in catalog.intents.values():
        assert f"## Answer: {intent.answer.id}" in text
    methadone = text.split("## Answer: methadone")[1].split("\n## ")[0]
    answer = catalog.intents["methadone"].answer
    for ref in answer.sources:
        if ref in catalog.sources:
            assert catalog.sources[ref].url in methadone
    assert answer.review is not None
    assert f"Role: {answer.review.role or 'not given'}" in methadone
    for g in answer.review.guidance:
        assert f"dated {g.dated}" in methadone
    assert "Clinical sign-off: never signed by a clinician." in methadone
    help_lines = text.split("## Help lines and crisis replies")[1]
    assert "0808 808 8000" in help_lines and "https://www.lifelinehelpline.info" in help_lines
    assert "2026-12-02" in help_lines and "rescue breaths or CPR" in help_lines
    assert "## Sign-off form" in text and "recovery-bot review --sign" in text
    assert "[ ] naloxone" in text and "[ ] help_lines" in text


def test_packet_shows_a_unified_diff_against_the_signed_text(root: Path) -> None:
    sign(root, "naloxone")
    sentence = first_sentence(root, "naloxone")
    edit_answer(root, "naloxone", sentence, sentence + " right away")
    text = render(build_packet(root, TODAY), "md")
    section = text.split("## Answer: naloxone")[1].split("\n## ")[0]
    assert "changed since Dr Ada Example signed it" in section
    assert "--- naloxone (signed)" in section and "+++ naloxone (now)" in section
    assert f"-{sentence}" in section.replace("```diff\n", "")
    assert "right away" in section
    assert "```diff" not in text.split("## Answer: methadone")[1].split("\n## ")[0]


def test_html_packet_is_escaped_and_printable(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_BOT_HOME", str(root))
    out = root / "packet.html"
    assert main(["review", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<table>" in html and "@media print" in html
    assert "I&#x27;m a bot" in html or "I&#39;m a bot" in html
    md = root / "packet.md"
    assert main(["review", "--out", str(md)]) == 0
    assert md.read_text(encoding="utf-8").startswith("# recovery-bot: clinical review packet")
