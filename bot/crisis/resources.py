"""Help lines by country (``content/crisis_resources.yaml``), validated at load time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
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
        "suicide_lead",
        "suicide_danger",
        "violence_lead",
        "violence_steps",
        "lines_intro",
        "plan_intro",
        "pointer",
        "spanish_lead",
        "spanish_local_emergency",
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

    @property
    def contact(self) -> str:
        """The number or address to show."""
        return self.number or self.web or ""

    def describe(self) -> str:
        """One line, e.g. "988 Suicide & Crisis Lifeline: call or text 988 (24/7)"."""
        verb = {"call": "call", "text": "text", "both": "call or text", "web": "visit"}[self.how]
        text = f"{self.name}: {verb} {self.contact} ({self.hours})"
        return f"{text}; {self.note}" if self.note else text


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

    @classmethod
    def load(cls, path: Path | str | None = None) -> CrisisResources:
        """Read ``content/crisis_resources.yaml`` (or ``path``); raise ResourcesError if broken."""
        file = Path(path) if path is not None else DEFAULT_RESOURCES
        return _parse(load_yaml_with_lines(file, ResourcesError), file)

    def for_country(self, code: str | None) -> CountryResources:
        """Lines for an ISO-3166 alpha-2 code ("UK" = "GB"); unknown or None -> fallback."""
        key = (code or "").strip().upper()
        key = self._aliases.get(key, key)
        return self._countries.get(key, self._fallback)

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


def _fail(path: Path, where: object, message: str) -> ResourcesError:
    return ResourcesError(f"{path}:{line_of(where)}: {message}")


def _line(raw: object, path: Path, what: str, web_ok: bool) -> HelpLine:
    if not isinstance(raw, dict):
        raise _fail(path, raw, f"{what} must be a mapping")
    data = cast(Mapping[str, Any], raw)
    allowed = {"name", "number", "web", "how", "hours", "note", "source", "verified_on"}
    unknown = sorted(set(data) - allowed)
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
    return HelpLine(
        name=str(data["name"]),
        how=how,
        hours=str(data["hours"]),
        source=str(data["source"]),
        verified_on=verified,
        number=None if number is None else str(number),
        web=None if data.get("web") is None else str(data["web"]),
        note=None if data.get("note") is None else str(data["note"]),
    )


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
        if not isinstance(items, list) or not items:
            raise _fail(path, data, f"{code} {key} must be a non-empty list")
        lines[key] = tuple(_line(item, path, f"{code} {key}", web_ok=fallback) for item in items)
    return CountryResources(
        code=code,
        name=str(data["name"]),
        emergency=emergency,
        crisis_lines=lines["crisis_lines"],
        drug_lines=lines["drug_lines"],
        texts=texts,
        is_fallback=fallback,
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
