"""The catalog loads, is complete, and a broken file fails with its name and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.paths import project_root
from bot.yamlfile import ContentError

REQUIRED = """
reward_pathway tolerance dependence_vs_addiction withdrawal genetics brain_changes brain_recovery
brain_development critical_periods brain_connectivity moud_overview buprenorphine methadone
naltrexone moud_myths behavioral_therapy cbt contingency_management co_occurring aftercare
relapse_prevention relapse cravings peer_support family_help addiction_is_disease overdose_risk
overdose_response naloxone dosing_question find_treatment greeting thanks bot_help privacy
checkin_info talk_to_human
""".split()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_every_required_intent_is_in_the_catalog(catalog: Catalog) -> None:
    missing = [i for i in REQUIRED if i not in catalog.intents]
    assert not missing


def test_every_intent_has_enough_examples_an_answer_and_a_source(catalog: Catalog) -> None:
    for intent in catalog.intents.values():
        assert len(intent.examples) >= 15, intent.id
        assert intent.answer.text.strip(), intent.id
        assert intent.answer.sources, intent.id
        assert catalog.source_labels(intent.id), intent.id


def _measuring_texts() -> list[str]:
    """Every message of every evaluation set: held-out, development, realistic, crisis."""
    import yaml

    data = Path(__file__).parent / "data"
    files = [data / "heldout.yaml", *sorted((data / "real_style").glob("*.yaml"))]
    files += sorted((data / "crisis_eval").glob("*.yaml"))
    shared = project_root().parent / "shared" / "eval"
    files += [f for f in (shared / "dev.yaml", shared / "real_dev.yaml") if f.exists()]
    texts: list[str] = []
    for path in files:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases = loaded["cases"] if isinstance(loaded, dict) else loaded
        texts += [str(c["text"]) if isinstance(c, dict) else str(c) for c in cases]
    return texts


def test_catalog_never_contains_the_measuring_sets(catalog: Catalog) -> None:
    from bot.understanding.text import normalize

    examples = {normalize(e) for i in catalog.intents.values() for e in i.examples}
    examples |= {normalize(e) for e in catalog.out_of_scope}
    # Greetings and stray letters are common to everyone; a copied question is not.
    leaked = [t for t in _measuring_texts() if normalize(t) in examples and len(t.split()) > 3]
    assert not leaked


def test_crisis_exemplars_never_contain_the_crisis_test_sets() -> None:
    import yaml

    from bot.understanding.text import normalize

    path = project_root() / "content" / "crisis_exemplars.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    exemplars = {
        normalize(t) for part in ("crisis", "calm") for items in data[part].values() for t in items
    }
    leaked = [t for t in _measuring_texts() if normalize(t) in exemplars and len(t.split()) > 3]
    assert not leaked


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = project_root()
    shutil.copytree(root / "intents", tmp_path / "intents")
    shutil.copytree(root / "content", tmp_path / "content")
    return tmp_path


def test_a_yaml_syntax_error_names_the_file_and_line(tree: Path) -> None:
    path = tree / "intents" / "brain.yaml"
    lines = path.read_text().splitlines()
    lines[5] = lines[5] + " [unclosed"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ContentError) as err:
        Catalog.load(tree)
    assert err.value.path == path
    assert err.value.line is not None and err.value.line >= 6
    assert "brain.yaml:" in str(err.value)


def test_a_dangling_related_intent_is_reported_with_its_line(tree: Path) -> None:
    path = tree / "intents" / "recovery.yaml"
    lines = path.read_text().splitlines()
    number = next(n for n, line in enumerate(lines) if line.strip().startswith("related:"))
    indent = lines[number][: len(lines[number]) - len(lines[number].lstrip())]
    lines[number] = f"{indent}related: [no_such_intent]"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ContentError, match="no_such_intent") as err:
        Catalog.load(tree)
    assert err.value.line == number + 1


def test_a_missing_answer_file_names_the_intent(tree: Path) -> None:
    (tree / "content" / "answers" / "naloxone.md").unlink()
    with pytest.raises(ContentError, match="naloxone"):
        Catalog.load(tree)


def test_an_unknown_source_in_an_answer_is_reported(tree: Path) -> None:
    path = tree / "content" / "answers" / "tolerance.md"
    text = path.read_text().replace("sources:\n", "sources:\n  - made-up-source\n", 1)
    path.write_text(text)
    with pytest.raises(ContentError, match="made-up-source") as err:
        Catalog.load(tree)
    assert err.value.path == path
    assert err.value.line == 4  # ---, id, sources:, then the new entry


def test_a_wrong_schema_version_is_refused(tree: Path) -> None:
    path = tree / "intents" / "bot.yaml"
    path.write_text(path.read_text().replace("version: 1", "version: 7", 1))
    with pytest.raises(ContentError, match="version"):
        Catalog.load(tree)


def test_a_role_note_for_an_unknown_role_is_refused(tree: Path) -> None:
    path = tree / "content" / "roles.yaml"
    path.write_text(path.read_text().replace("  supporter:", "  doctor:"))
    with pytest.raises(ContentError, match="unknown role 'doctor'") as err:
        Catalog.load(tree)
    assert err.value.path == path


def test_a_role_note_skipping_an_unknown_intent_names_file_and_line(tree: Path) -> None:
    path = tree / "content" / "roles.yaml"
    text = path.read_text().replace("skip: [family_help]", "skip: [no_such_topic]")
    path.write_text(text)
    with pytest.raises(ContentError, match="no_such_topic") as err:
        Catalog.load(tree)
    assert err.value.path == path
    assert err.value.line == text[: text.index("no_such_topic")].count("\n") + 1
