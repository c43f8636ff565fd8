"""The intent catalog: intents (``intents/*.yaml``) joined to their vetted answers (``content/``).

Loading validates the structure and every reference, and fails with ``ContentError`` naming the
file and line. Editorial rules (word counts, reading grade, example counts) belong to
``recovery-bot lint``, which reports them all at once instead of stopping at the first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.paths import content_dir, intents_dir
from bot.yamlfile import ContentError, LineDict, line_of, load_yaml, parse_yaml

SCHEMA_VERSION = 1
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_ANCHOR = re.compile(r"^#{1,3}\s+(?P<title>.+?)\s*\{#(?P<anchor>[a-z0-9-]+)\}\s*$")
ARTICLE_PREFIX = "article#"
SYNONYMS_FILE = "synonyms.yaml"
OUT_OF_SCOPE_FILE = "out_of_scope.yaml"
ROLES_FILE = "roles.yaml"


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    url: str


@dataclass(frozen=True)
class Guidance:
    """One piece of guidance the reviewer checked the answer against, and its date."""

    source: str
    """An id from content/sources.yaml."""
    dated: str
    """The guidance's own date: "YYYY", "YYYY-MM" or "YYYY-MM-DD"."""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Review:
    by: str
    on: dt.date
    checked: str
    role: str | None = None
    """The reviewer's role: "content editor (not a clinician)", "addiction-medicine physician"..."""
    guidance: tuple[Guidance, ...] = ()
    line: int = field(default=0, compare=False)


REVIEW_FIELDS = ("by", "role", "on", "checked", "guidance")
GUIDANCE_FIELDS = ("source", "dated")
_DATED = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


@dataclass(frozen=True)
class Answer:
    id: str
    text: str
    sources: tuple[str, ...]
    review: Review | None
    path: Path
    body_line: int


@dataclass(frozen=True)
class Intent:
    id: str
    group: str
    title: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    related: tuple[str, ...]
    answer: Answer
    safety_pointer: bool
    path: Path
    line: int
    crisis_line: bool = False
    """The answer always has the crisis line on top (helping someone who may be at risk)."""
    example_lines: tuple[int, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Group:
    id: str
    title: str
    intent_ids: tuple[str, ...]


@dataclass(frozen=True)
class RoleNote:
    text: str
    skip: tuple[str, ...]
    """Intents that already speak to this role."""


ROLES = ("recovery", "family", "supporter")


@dataclass(frozen=True)
class Catalog:
    groups: tuple[Group, ...]
    intents: dict[str, Intent]
    sources: dict[str, Source]
    article_sections: dict[str, str]
    synonyms: dict[str, tuple[str, ...]]
    out_of_scope: tuple[str, ...] = ()
    """Messages the bot must not answer: they teach the matcher what is off-topic."""
    role_notes: dict[str, RoleNote] = field(default_factory=dict)
    """role -> the line added to topic answers for people who chose that role."""
    variants: dict[str, dict[str, Answer]] = field(default_factory=dict)
    """answer id -> audience (family, supporter) -> that audience's version of the answer,
    from ``content/answers/<id>.<audience>.md``."""

    @classmethod
    def load(cls, root: Path | None = None) -> Catalog:
        """Load and cross-check the catalog under ``root`` (default: the project folder)."""
        idir, cdir = intents_dir(root), content_dir(root)
        sources = _load_sources(cdir / "sources.yaml")
        sections = load_article_sections(cdir / "article.md")
        synonyms = _load_synonyms(idir / SYNONYMS_FILE)
        out_of_scope = _load_out_of_scope(idir / OUT_OF_SCOPE_FILE)
        answers_dir = cdir / "answers"
        groups: list[Group] = []
        intents: dict[str, Intent] = {}
        special = {SYNONYMS_FILE, OUT_OF_SCOPE_FILE}
        files = sorted(p for p in idir.glob("*.yaml") if p.name not in special)
        if not files:
            raise ContentError(idir, None, "no intent files (*.yaml) found")
        for path in files:
            group, found = _load_intent_file(path, answers_dir)
            for intent in found:
                if intent.id in intents:
                    other = intents[intent.id]
                    raise ContentError(
                        path,
                        intent.line,
                        f"intent id {intent.id!r} is already defined in "
                        f"{other.path.name}:{other.line}",
                    )
                intents[intent.id] = intent
            groups.append(group)
        role_notes = _load_role_notes(cdir / ROLES_FILE)
        variants = load_variants(answers_dir, {i.answer.id for i in intents.values()})
        catalog = cls(
            tuple(groups), intents, sources, sections, synonyms, out_of_scope, role_notes, variants
        )
        catalog._check_references(cdir / ROLES_FILE)
        return catalog

    def _check_references(self, roles_path: Path) -> None:
        for role, note in self.role_notes.items():
            for iid in note.skip:
                if iid not in self.intents:
                    raise ContentError(
                        roles_path,
                        line_of(iid),
                        f"role {role!r}: skip names unknown intent {iid!r}",
                    )
        for intent in self.intents.values():
            for rel in intent.related:
                if rel not in self.intents:
                    raise ContentError(
                        intent.path,
                        line_of(rel, intent.line),
                        f"intent {intent.id!r}: related intent {rel!r} does not exist",
                    )
            for ref in intent.answer.sources:
                if ref.startswith(ARTICLE_PREFIX):
                    anchor = ref[len(ARTICLE_PREFIX) :]
                    if anchor not in self.article_sections:
                        raise ContentError(
                            intent.answer.path,
                            line_of(ref),
                            f"article section {anchor!r} is not an anchor in content/article.md "
                            f"(known: {', '.join(sorted(self.article_sections))})",
                        )
                elif ref not in self.sources:
                    raise ContentError(
                        intent.answer.path,
                        line_of(ref),
                        f"source {ref!r} is not listed in content/sources.yaml",
                    )

    def source_labels(self, intent_id: str) -> list[str]:
        """Human-readable names of an answer's sources, for the 'Source:' line."""
        labels: list[str] = []
        for ref in self.intents[intent_id].answer.sources:
            if ref.startswith(ARTICLE_PREFIX):
                title = self.article_sections[ref[len(ARTICLE_PREFIX) :]]
                labels.append(f'the article "Opioid Addiction and the Brain", section "{title}"')
            else:
                labels.append(self.sources[ref].name)
        return labels


def load_article_sections(path: Path) -> dict[str, str]:
    """Anchor -> heading of every section of the clean article."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ContentError(path, None, "file not found") from None
    sections: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        match = _ANCHOR.match(line)
        if match:
            if match["anchor"] in sections:
                raise ContentError(path, number, f"duplicate anchor {match['anchor']!r}")
            sections[match["anchor"]] = match["title"]
    return sections


def _require(data: Any, key: str, kind: type | tuple[type, ...], path: Path, where: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise ContentError(path, line_of(data), f"{where}: missing required field {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ContentError(
            path,
            line_of(value, line_of(data)),
            f"{where}: field {key!r} must be {_kind_word(names)}, got {type(value).__name__}",
        )
    return value


def _kind_word(name: str) -> str:
    return {"str": "text", "list": "a list", "int": "a number", "dict": "a mapping"}.get(name, name)


def _check_version(data: Any, path: Path) -> None:
    if not isinstance(data, dict):
        raise ContentError(
            path, line_of(data, 1), "the file must be a mapping with 'version:' at the top"
        )
    version = data.get("version")
    if version != SCHEMA_VERSION:
        raise ContentError(
            path,
            line_of(data, 1),
            f"unsupported schema version {version!r}; this bot reads version {SCHEMA_VERSION}",
        )


def _str_list(value: Any, path: Path, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ContentError(path, line_of(value), f"{where} must be a list")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ContentError(
                path, line_of(item, line_of(value)), f"{where}: every item must be non-empty text"
            )
        out.append(item)
    return tuple(out)


def _load_sources(path: Path) -> dict[str, Source]:
    data = load_yaml(path)
    _check_version(data, path)
    items = _require(data, "sources", list, path, "sources.yaml")
    sources: dict[str, Source] = {}
    for item in items:
        sid = _require(item, "id", str, path, "source")
        if sid in sources:
            raise ContentError(path, line_of(item), f"duplicate source id {sid!r}")
        sources[sid] = Source(
            id=sid,
            name=_require(item, "name", str, path, f"source {sid!r}"),
            url=_require(item, "url", str, path, f"source {sid!r}"),
        )
    return sources


def _load_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    if not path.exists():
        return {}
    data = load_yaml(path)
    _check_version(data, path)
    table = _require(data, "synonyms", dict, path, "synonyms.yaml")
    return {
        str(canon): _str_list(variants, path, f"synonyms of {canon!r}")
        for canon, variants in table.items()
    }


def _load_role_notes(path: Path) -> dict[str, RoleNote]:
    if not path.exists():
        return {}
    data = load_yaml(path)
    _check_version(data, path)
    notes: dict[str, RoleNote] = {}
    for role, item in _require(data, "notes", dict, path, ROLES_FILE).items():
        if role not in ROLES:
            raise ContentError(
                path, line_of(item), f"unknown role {role!r}; roles are {', '.join(ROLES)}"
            )
        notes[role] = RoleNote(
            text=_require(item, "text", str, path, f"role {role!r}").strip(),
            skip=_str_list(item.get("skip"), path, f"role {role!r} skip"),
        )
    return notes


def _load_out_of_scope(path: Path) -> tuple[str, ...]:
    if not path.exists():
        return ()
    data = load_yaml(path)
    _check_version(data, path)
    return _str_list(_require(data, "examples", list, path, OUT_OF_SCOPE_FILE), path, "examples")


def _load_intent_file(path: Path, answers_dir: Path) -> tuple[Group, list[Intent]]:
    data = load_yaml(path)
    _check_version(data, path)
    group_id = _require(data, "group", str, path, "intent file")
    title = _require(data, "title", str, path, "intent file")
    items = _require(data, "intents", list, path, "intent file")
    intents: list[Intent] = []
    for item in items:
        if not isinstance(item, LineDict):
            raise ContentError(
                path,
                line_of(item, line_of(items)),
                "each intent must be a mapping with id, title, examples",
            )
        iid = _require(item, "id", str, path, "intent")
        if not _ID.match(iid):
            raise ContentError(
                path, line_of(iid), f"intent id {iid!r} must be snake_case (a-z, 0-9, _)"
            )
        where = f"intent {iid!r}"
        examples = _str_list(
            _require(item, "examples", list, path, where), path, f"{where} examples"
        )
        answer_id = item.get("answer", iid)
        intents.append(
            Intent(
                id=iid,
                group=group_id,
                title=_require(item, "title", str, path, where),
                examples=examples,
                keywords=_str_list(item.get("keywords"), path, f"{where} keywords"),
                related=_str_list(item.get("related"), path, f"{where} related"),
                answer=load_answer(
                    answers_dir / f"{answer_id}.md", str(answer_id), path, item.line
                ),
                safety_pointer=bool(item.get("safety_pointer", False)),
                path=path,
                line=item.line,
                crisis_line=bool(item.get("crisis_line", False)),
                example_lines=tuple(line_of(e, 0) or 0 for e in examples),
            )
        )
    group = Group(id=group_id, title=title, intent_ids=tuple(i.id for i in intents))
    return group, intents


AUDIENCES = ("family", "supporter")
"""Who an answer variant speaks to: a family member or friend, or a supporter or peer."""


def load_variants(answers_dir: Path, answer_ids: set[str]) -> dict[str, dict[str, Answer]]:
    """``<answer id>.<audience>.md`` files: the same answer, addressed to another audience."""
    variants: dict[str, dict[str, Answer]] = {}
    for path in sorted(answers_dir.glob("*.*.md")):
        answer_id, _, audience = path.name[: -len(".md")].rpartition(".")
        if audience not in AUDIENCES:
            raise ContentError(
                path, 1, f"unknown audience {audience!r}; use one of {', '.join(AUDIENCES)}"
            )
        if answer_id not in answer_ids:
            raise ContentError(path, 1, f"{path.name} is a variant of no answer ({answer_id!r})")
        answer = load_answer(path, f"{answer_id}.{audience}", path, 1)
        variants.setdefault(answer_id, {})[audience] = answer
    return variants


def load_answer(path: Path, answer_id: str, referrer: Path, referrer_line: int) -> Answer:
    """Read one Markdown answer with YAML front matter."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(
            referrer,
            referrer_line,
            f"answer file {path.name} for {answer_id!r} not found in {path.parent}",
        ) from None
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, 1, "an answer starts with a '---' line, then its front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ContentError(path, 1, "front matter is not closed by a second '---' line") from None
    meta = parse_yaml("\n".join(lines[1:end]), path, first_line=2)
    if not isinstance(meta, dict):
        raise ContentError(path, 2, "front matter must be a mapping (id, sources, review)")
    declared = _require(meta, "id", str, path, "answer")
    if declared != answer_id:
        raise ContentError(
            path,
            line_of(declared),
            f"answer id {declared!r} does not match file name {answer_id!r}",
        )
    sources = _str_list(_require(meta, "sources", list, path, "answer"), path, "answer sources")
    body = "\n".join(lines[end + 1 :]).strip()
    if not body:
        raise ContentError(path, end + 2, "the answer has no text after the front matter")
    return Answer(
        id=answer_id,
        text=body,
        sources=sources,
        review=_review(meta.get("review"), path),
        path=path,
        body_line=end + 2,
    )


def _review(data: Any, path: Path) -> Review | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ContentError(
            path, line_of(data), "review must be a mapping with by, role, on, checked, guidance"
        )
    unknown = sorted(set(data) - set(REVIEW_FIELDS))
    if unknown:
        raise ContentError(
            path,
            line_of(data),
            f"review has unknown field(s) {unknown}; the fields are {', '.join(REVIEW_FIELDS)}",
        )
    by = _require(data, "by", str, path, "review")
    on = _require(data, "on", (dt.date, str), path, "review")
    if isinstance(on, str):
        try:
            on = dt.date.fromisoformat(on)
        except ValueError:
            raise ContentError(
                path, line_of(on), f"review date {on!r} must be YYYY-MM-DD"
            ) from None
    checked = data.get("checked", "")
    role = data.get("role")
    if role is not None and (not isinstance(role, str) or not role.strip()):
        raise ContentError(
            path,
            line_of(role, line_of(data)),
            'review: role must be text, e.g. "addiction-medicine physician" or '
            '"content editor (not a clinician)"',
        )
    return Review(
        by=by,
        on=on,
        checked=str(checked),
        role=role.strip() if isinstance(role, str) else None,
        guidance=_guidance(data.get("guidance"), path, line_of(data) or 0),
        line=line_of(data) or 0,
    )


def _guidance(data: Any, path: Path, review_line: int) -> tuple[Guidance, ...]:
    """``guidance:`` of a review: a list of {source: <sources.yaml id>, dated: YYYY[-MM[-DD]]}."""
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ContentError(
            path,
            line_of(data, review_line),
            "review: guidance must be a list of {source: <id from content/sources.yaml>, "
            'dated: "YYYY-MM"}',
        )
    out: list[Guidance] = []
    for item in data:
        where = line_of(item, line_of(data, review_line))
        if not isinstance(item, dict):
            raise ContentError(
                path, where, 'review: each guidance item is {source: <id>, dated: "YYYY-MM"}'
            )
        unknown = sorted(set(item) - set(GUIDANCE_FIELDS))
        if unknown:
            raise ContentError(
                path, where, f"review: guidance has unknown field(s) {unknown}; use source, dated"
            )
        source = _require(item, "source", str, path, "review guidance")
        dated = _require(item, "dated", (str, dt.date, int), path, "review guidance")
        text = dated.isoformat() if isinstance(dated, dt.date) else str(dated)
        if not _DATED.match(text):
            raise ContentError(
                path,
                line_of(dated, where),
                f"review guidance {source!r}: dated {text!r} must be YYYY, YYYY-MM or YYYY-MM-DD "
                "(the date of the guidance that was checked)",
            )
        out.append(Guidance(source=str(source), dated=text, line=where or 0))
    return tuple(out)


def iter_examples(catalog: Catalog) -> Iterable[tuple[str, str]]:
    """(intent id, example) pairs in catalog order."""
    for intent in catalog.intents.values():
        for example in intent.examples:
            yield intent.id, example
