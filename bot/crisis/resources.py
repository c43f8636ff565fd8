"""Help lines by country (``content/crisis_resources.yaml``), validated at load time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

from bot.crisis.lexicon import line_of, load_yaml_with_lines

DEFAULT_RESOURCES = Path(__file__).resolve().parents[2] / "content" / "crisis_resources.yaml"
SUPPORTED_VERSIONS = (1,)
FALLBACK_CODE = "INTL"
How = Literal["call", "text", "both", "web"]
_HOW = ("call", "text", "both", "web")
_TEXT_KEYS = frozenset(
    {
        "bot_note",
        "overdose_lead",
        "overdose_steps",
        "overdose_self",
        "overdose_child",
        "suicide_lead",
        "suicide_danger",
        "violence_lead",
        "violence_steps",
        "lines_intro",
        "plan_intro",
        "pointer",
        "banner",
        "spanish_lead",
        "spanish_local_emergency",
        "national_intro",
        "national_intro_es",
        "national_intro_other",
        "national_emergency",
        "national_elsewhere",
        "choose_country",
    }
)
ELSEWHERE_CODES = frozenset({"ZZ", FALLBACK_CODE})
"""Codes that mean "somewhere else" (ISO 3166's user-assigned "unknown" ZZ): the worldwide lines."""
_LINE_FIELDS = frozenset(
    {
        "name",
        "number",
        "web",
        "how",
        "hours",
        "note",
        "cost",
        "short",
        "languages",
        "spanish_note",
        "source",
        "source_note",
        "verified_on",
    }
)


class ResourcesError(ValueError):
    """The resources file is unusable; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class HelpLine:
    """One phone line (or, for how == "web", a web address)."""

    name: str
    how: How
    hours: str
    source: str
    verified_on: dt.date
    number: str | None = None
    web: str | None = None
    note: str | None = None
    cost: str | None = None
    """What a call costs when it is not free ("€0.20 per call")."""
    short: str | None = None
    """A short name for the one-screen list of national lines ("Samaritans")."""
    languages: tuple[str, ...] = ()
    """ISO 639-1 codes of the languages the line answers in, when known."""
    spanish_note: str | None = None
    """How to reach the Spanish-speaking service ("para español marca 2")."""
    source_note: str | None = None
    """For reviewers of the numbers: what the source is; never shown to people."""

    @property
    def contact(self) -> str:
        """The number or address to show."""
        return self.number or self.web or ""

    @property
    def verb(self) -> str:
        return {"call": "call", "text": "text", "both": "call or text", "web": "visit"}[self.how]

    @property
    def spanish(self) -> bool:
        """True when the line answers in Spanish."""
        return "es" in self.languages or bool(self.spanish_note)

    def describe(self, spanish: bool = False) -> str:
        """One line, e.g. "988 Suicide & Crisis Lifeline: call or text 988 (24/7)".

        ``spanish``: the person writes in Spanish; add how to reach the Spanish service.
        """
        text = f"{self.name}: {self.verb} {self.contact} ({self.hours})"
        extras = [x for x in (self.cost if self.cost != "free" else None, self.note) if x]
        if spanish and self.spanish_note:
            extras.append(self.spanish_note)
        return "; ".join([text, *extras])

    def brief(self, spanish: bool = False) -> str:
        """The short form for the national list: "Samaritans, call 116 123"."""
        text = f"{self.verb} {self.contact}"
        if self.short:
            text = f"{self.short}, {text}"
        if spanish and self.spanish_note:
            text += f" ({self.spanish_note})"
        return text


@dataclass(frozen=True)
class NationalLine:
    """One entry of the compact list shown when the person's country is not known."""

    countries: tuple[str, ...]
    """Short names of the countries the line serves ("US", "Canada")."""
    line: HelpLine

    lines: tuple[HelpLine, ...] = ()
    """Each country's own line, in the order of ``countries``."""

    def describe(self, spanish: bool = False) -> str:
        return f"{', '.join(self.countries)}: {self.line.brief(spanish)}"

    def split_by_spanish(self) -> list[NationalLine]:
        """This entry as one or two: the countries whose line answers in Spanish, then the rest."""
        lines = self.lines or (self.line,) * len(self.countries)
        pairs = list(zip(self.countries, lines, strict=True))
        es = [(c, ln) for c, ln in pairs if ln.spanish]
        other = [(c, ln) for c, ln in pairs if not ln.spanish]
        out: list[NationalLine] = []
        for group in (es, other):
            if group:
                names = tuple(c for c, _ in group)
                lines = tuple(ln for _, ln in group)
                out.append(NationalLine(names, lines[0], lines))
        return out


@dataclass(frozen=True)
class CountryResources:
    """Everything the bot shows about help for one country (or the international fallback)."""

    code: str
    name: str
    emergency: HelpLine
    crisis_lines: tuple[HelpLine, ...]
    drug_lines: tuple[HelpLine, ...]
    texts: Mapping[str, Any]
    is_fallback: bool = False
    short: str = ""
    """A short label ("US", "UK"); the name when the file gives none."""
    national: tuple[NationalLine, ...] = ()
    """For a person whose country is not known: every listed country's main crisis line."""
    emergencies: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """For a person whose country is not known: (emergency number, countries) pairs."""

    @property
    def country_unknown(self) -> bool:
        """True for the worldwide lines shown when the bot does not know the country."""
        return bool(self.national)

    @property
    def emergency_number(self) -> str:
        """ "911", "999 (or 112)", or "your local emergency number" for the fallback."""
        if not self.emergency.number:
            return "your local emergency number"
        if self.emergency.note:
            return f"{self.emergency.number} ({self.emergency.note})"
        return self.emergency.number

    def all_lines(self) -> tuple[HelpLine, ...]:
        return (self.emergency, *self.crisis_lines, *self.drug_lines)

    def national_lines(self, spanish: bool = False) -> list[NationalLine]:
        """The compact list; Spanish-speaking lines first when ``spanish``.

        With ``spanish``, countries sharing a number are split by whether their line answers
        in Spanish (988 does in the US, not in Canada).
        """
        if not spanish:
            return list(self.national)
        first: list[NationalLine] = []
        rest: list[NationalLine] = []
        for entry in self.national:
            for group in entry.split_by_spanish():
                (first if group.line.spanish else rest).append(group)
        return first + rest


class CrisisResources:
    """The validated help-line directory."""

    def __init__(
        self,
        countries: Mapping[str, CountryResources],
        fallback: CountryResources,
        aliases: Mapping[str, str],
    ) -> None:
        self._countries = dict(countries)
        self._fallback = fallback
        self._aliases = dict(aliases)
        self._unknown = _with_national(fallback, self._countries)

    @classmethod
    def load(cls, path: Path | str | None = None) -> CrisisResources:
        """Read ``content/crisis_resources.yaml`` (or ``path``); raise ResourcesError if broken."""
        file = Path(path) if path is not None else DEFAULT_RESOURCES
        return _parse(load_yaml_with_lines(file, ResourcesError), file)

    def for_country(self, code: str | None) -> CountryResources:
        """Lines for an ISO-3166 alpha-2 code ("UK" = "GB").

        No code at all (the country is not known): the worldwide lines plus the compact list of
        every listed country's main lines. A code that is not listed ("ZZ", somewhere else, or a
        country without lines here): the worldwide lines.
        """
        key = (code or "").strip().upper()
        if not key:
            return self._unknown
        key = self._aliases.get(key, key)
        return self._countries.get(key, self._fallback)

    def resolve(self, code: str) -> str | None:
        """The listed country a code or alias names ("uk" -> "GB"), or None."""
        key = code.strip().upper()
        key = self._aliases.get(key, key)
        return key if key in self._countries else None

    def countries(self) -> list[tuple[str, str]]:
        """(code, name) of every listed country, in file order, for the /country buttons."""
        return [(code, c.name) for code, c in self._countries.items()]

    @property
    def fallback(self) -> CountryResources:
        return self._fallback

    def stale_lines(self, today: dt.date, max_age_days: int = 365) -> list[tuple[str, HelpLine]]:
        """(country code, line) for every line checked longer ago than ``max_age_days``."""
        out: list[tuple[str, HelpLine]] = []
        for country in (*self._countries.values(), self._fallback):
            for line in country.all_lines():
                if (today - line.verified_on).days > max_age_days:
                    out.append((country.code, line))
        return out


def _with_national(
    fallback: CountryResources, countries: Mapping[str, CountryResources]
) -> CountryResources:
    """The fallback plus each country's first crisis line and emergency number, grouped."""
    groups: dict[str, list[tuple[str, HelpLine]]] = {}
    emergencies: dict[str, list[str]] = {}
    for country in countries.values():
        if country.crisis_lines:
            line = country.crisis_lines[0]
            groups.setdefault(line.contact, []).append((country.short, line))
        if country.emergency.number:
            emergencies.setdefault(country.emergency.number, []).append(country.short)
    national = tuple(
        NationalLine(tuple(c for c, _ in items), items[0][1], tuple(ln for _, ln in items))
        for items in groups.values()
    )
    return replace(
        fallback,
        national=national,
        emergencies=tuple((number, tuple(names)) for number, names in emergencies.items()),
    )


def _fail(path: Path, where: object, message: str) -> ResourcesError:
    return ResourcesError(f"{path}:{line_of(where)}: {message}")


def _line(raw: object, path: Path, what: str, web_ok: bool) -> HelpLine:
    if not isinstance(raw, dict):
        raise _fail(path, raw, f"{what} must be a mapping")
    data = cast(Mapping[str, Any], raw)
    unknown = sorted(set(data) - _LINE_FIELDS)
    if unknown:
        raise _fail(path, data, f"{what} has unknown field(s) {unknown}")
    for key in ("name", "how", "hours", "source", "verified_on"):
        if key not in data or data[key] in (None, ""):
            raise _fail(path, data, f"{what} is missing {key!r}")
    how = data["how"]
    if how not in _HOW:
        raise _fail(path, data, f"{what}: how must be one of {list(_HOW)}, got {how!r}")
    if how == "web" and not (web_ok and data.get("web")):
        raise _fail(path, data, f"{what}: a web line needs 'web' (and only the fallback has one)")
    verified = data["verified_on"]
    if not isinstance(verified, dt.date):
        raise _fail(path, data, f"{what}: verified_on must be a date like 2026-11-26")
    number = data.get("number")
    if number is not None and not str(number).replace(" ", "").replace("-", "").isdigit():
        raise _fail(path, data, f"{what}: number {number!r} must be digits, spaces and dashes")
    languages = data.get("languages") or []
    if not isinstance(languages, list) or not all(
        isinstance(code, str) and len(code) == 2 and code.isalpha() and code.islower()
        for code in languages
    ):
        raise _fail(path, data, f"{what}: languages must be a list of codes like [en, es]")
    return HelpLine(
        name=str(data["name"]),
        how=how,
        hours=str(data["hours"]),
        source=str(data["source"]),
        verified_on=verified,
        number=None if number is None else str(number),
        web=None if data.get("web") is None else str(data["web"]),
        note=_opt(data, "note"),
        cost=_opt(data, "cost"),
        short=_opt(data, "short"),
        languages=tuple(str(code) for code in languages),
        spanish_note=_opt(data, "spanish_note"),
        source_note=_opt(data, "source_note"),
    )


def _opt(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _country(
    code: str, raw: object, path: Path, texts: Mapping[str, Any], fallback: bool = False
) -> CountryResources:
    if not isinstance(raw, dict):
        raise _fail(path, raw, f"country {code} must be a mapping")
    data = cast(Mapping[str, Any], raw)
    for key in ("name", "emergency", "crisis_lines", "drug_lines"):
        if key not in data:
            raise _fail(path, data, f"country {code} is missing {key!r}")
    emergency = _line(data["emergency"], path, f"{code} emergency", web_ok=False)
    if not fallback and not emergency.number:
        raise _fail(path, data["emergency"], f"{code} emergency needs a number")
    lines: dict[str, tuple[HelpLine, ...]] = {}
    for key in ("crisis_lines", "drug_lines"):
        items = data[key]
        # A country may have no drug line (none with a source yet), never no crisis line.
        if not isinstance(items, list) or (key == "crisis_lines" and not items):
            what = "a non-empty list" if key == "crisis_lines" else "a list (may be empty: [])"
            raise _fail(path, data, f"{code} {key} must be {what}")
        lines[key] = tuple(_line(item, path, f"{code} {key}", web_ok=fallback) for item in items)
    return CountryResources(
        code=code,
        name=str(data["name"]),
        emergency=emergency,
        crisis_lines=lines["crisis_lines"],
        drug_lines=lines["drug_lines"],
        texts=texts,
        is_fallback=fallback,
        short=str(data.get("short") or data["name"]),
    )


def _parse(data: object, path: Path) -> CrisisResources:
    if not isinstance(data, dict):
        raise ResourcesError(f"{path}:1: the resources file must be a mapping")
    top = cast(Mapping[str, Any], data)
    if top.get("version") not in SUPPORTED_VERSIONS:
        raise _fail(path, top, f"version {top.get('version')!r} is not supported")
    for key in ("texts", "countries", "fallback"):
        if key not in top:
            raise _fail(path, top, f"missing {key!r}")
    texts = top["texts"]
    if not isinstance(texts, dict):
        raise _fail(path, top, "texts must be a mapping")
    missing = sorted(_TEXT_KEYS - set(texts))
    if missing:
        raise _fail(path, texts, f"texts is missing {missing}")
    for key in ("overdose_steps", "violence_steps"):
        if not isinstance(texts[key], list) or not all(isinstance(s, str) for s in texts[key]):
            raise _fail(path, texts, f"texts.{key} must be a list of strings")
    plain = {k: (list(map(str, v)) if isinstance(v, list) else str(v)) for k, v in texts.items()}
    countries: dict[str, CountryResources] = {}
    aliases: dict[str, str] = {}
    raw_countries = top["countries"]
    if not isinstance(raw_countries, dict) or not raw_countries:
        raise _fail(path, top, "countries must be a non-empty mapping")
    for code, raw in raw_countries.items():
        code = str(code)
        if len(code) != 2 or not code.isalpha() or not code.isupper():
            raise _fail(path, raw, f"country code {code!r} must be ISO-3166 alpha-2, e.g. GB")
        countries[code] = _country(code, raw, path, plain)
        for alias in raw.get("aliases") or []:
            aliases[str(alias).upper()] = code
    fallback = _country(FALLBACK_CODE, top["fallback"], path, plain, fallback=True)
    return CrisisResources(countries, fallback, aliases)
