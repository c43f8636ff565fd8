"""Clinical sign-offs, recorded back into the content as data (``content/signoffs.yaml``).

A sign-off names the reviewer, their role, the date and what they signed: for each answer id
(and ``help_lines``, the crisis reply texts and every country's lines) the SHA-256 fingerprint of
the exact text they read. The text itself is kept in ``content/signoffs/<fingerprint>.txt``, so
the review packet can show what changed since. A sign-off covers a text only while its
fingerprint matches: edit an answer and its sign-off no longer covers it.

What is fingerprinted is what people read: an answer's body (not its front matter, which the
content team edits for other reasons), and for ``help_lines`` the crisis reply texts plus each
country's /crisis text without the "checked on" date (re-verifying a number without changing it
keeps the sign-off).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.catalog import Catalog
from bot.crisis.reply import help_lines_text
from bot.crisis.resources import CrisisResources
from bot.yamlfile import ContentError, LineDict, line_of, load_yaml

SIGNOFFS_FILE = "signoffs.yaml"
SNAPSHOT_DIR = "signoffs"
HELP_LINES = "help_lines"
"""The scope name of the help lines and crisis reply texts."""
MAX_AGE_DAYS = 365
SIGNOFF_FIELDS = ("reviewer", "role", "on", "signed", "notes")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
_CLINICAL_WORDS = (
    "physician",
    "doctor",
    "psychiatrist",
    "nurse",
    "pharmacist",
    "clinician",
    "psychologist",
    "physician assistant",
    "addiction medicine",
    "addiction-medicine",
    "md",
    "np",
    "rn",
    "pharmd",
)
_NOT_CLINICAL = ("not a clinician", "non-clinical", "not clinical")


def is_clinical_role(role: str) -> bool:
    """True for roles whose sign-off counts as clinical ("addiction-medicine physician",
    "nurse", "pharmacist"); false for "content editor (not a clinician)", "peer specialist"."""
    text = role.lower()
    if any(phrase in text for phrase in _NOT_CLINICAL):
        return False
    words = set(re.findall(r"[a-z][a-z-]*", text))
    return any((word in words) if " " not in word else (word in text) for word in _CLINICAL_WORDS)


def normalize(text: str) -> str:
    """The text as fingerprinted: Unix line ends, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n") + "\n"


def fingerprint(text: str) -> str:
    """SHA-256 (hex) of the normalized text."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignOff:
    reviewer: str
    role: str
    on: dt.date
    signed: Mapping[str, str]
    """Scope (answer id or ``help_lines``) -> fingerprint of the text that was signed."""
    notes: str = ""
    line: int = field(default=0, compare=False)

    @property
    def clinical(self) -> bool:
        return is_clinical_role(self.role)


@dataclass(frozen=True)
class Coverage:
    """Where one signable text stands."""

    scope: str
    text: str
    fingerprint: str
    current: SignOff | None
    """The latest clinical sign-off of exactly this text."""
    last: SignOff | None
    """The latest clinical sign-off of this scope, of any version of its text."""

    @property
    def changed(self) -> bool:
        """Signed before, but the text changed since."""
        return self.current is None and self.last is not None

    def stale(self, today: dt.date, max_age_days: int = MAX_AGE_DAYS) -> bool:
        """Signed, but longer ago than ``max_age_days``."""
        return self.current is not None and (today - self.current.on).days > max_age_days

    def status(self, today: dt.date) -> str:
        if self.current is not None:
            who = f"{self.current.reviewer} ({self.current.role})"
            if self.stale(today):
                return f"signed by {who} on {self.current.on}, more than 12 months ago"
            return f"signed by {who} on {self.current.on}"
        if self.last is not None:
            return f"changed since {self.last.reviewer} signed it on {self.last.on}"
        return "never signed by a clinician"


def load_signoffs(path: Path) -> list[SignOff]:
    """Read ``content/signoffs.yaml``; a missing file means no sign-offs yet."""
    if not path.exists():
        return []
    data = load_yaml(path)
    if not isinstance(data, dict) or data.get("version") != 1:
        raise ContentError(path, line_of(data, 1), "signoffs.yaml needs 'version: 1' at the top")
    items = data.get("signoffs")
    if items is None:
        return []
    if not isinstance(items, list):
        raise ContentError(path, line_of(items, line_of(data, 1)), "'signoffs' must be a list")
    return [_signoff(item, path) for item in items]


def _signoff(item: Any, path: Path) -> SignOff:
    where = line_of(item)
    if not isinstance(item, LineDict):
        raise ContentError(path, where, "each sign-off is a mapping: reviewer, role, on, signed")
    unknown = sorted(set(item) - set(SIGNOFF_FIELDS))
    if unknown:
        raise ContentError(
            path, where, f"sign-off has unknown field(s) {unknown}; use {', '.join(SIGNOFF_FIELDS)}"
        )
    for key in ("reviewer", "role"):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ContentError(path, line_of(value, where), f"sign-off: '{key}' must be text")
    on = item.get("on")
    if isinstance(on, str):
        try:
            on = dt.date.fromisoformat(on)
        except ValueError:
            on = None
    if not isinstance(on, dt.date):
        raise ContentError(
            path, line_of(item.get("on"), where), "sign-off: 'on' must be YYYY-MM-DD"
        )
    signed = item.get("signed")
    if not isinstance(signed, dict) or not signed:
        raise ContentError(
            path, line_of(signed, where), "sign-off: 'signed' maps answer ids to fingerprints"
        )
    for scope, value in signed.items():
        if not isinstance(value, str) or not _FINGERPRINT.match(value):
            raise ContentError(
                path,
                line_of(value, where),
                f"sign-off: fingerprint of {scope!r} must be 64 hex characters (SHA-256)",
            )
    return SignOff(
        reviewer=str(item["reviewer"]).strip(),
        role=str(item["role"]).strip(),
        on=on,
        signed={str(k): str(v) for k, v in signed.items()},
        notes=str(item.get("notes") or ""),
        line=where or 0,
    )


def help_lines_snapshot(resources: CrisisResources) -> str:
    """The help lines as a reviewer reads them: reply texts, then each country's lines."""
    any_country = resources.fallback
    lines = ["# Crisis reply texts"]
    for key, value in any_country.texts.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"  {i}. {step}" for i, step in enumerate(value, 1)]
        else:
            lines.append(f"{key}: {value}")
    codes: list[str | None] = [code for code, _ in resources.countries()]
    for code in [*codes, "ZZ", None]:
        country = resources.for_country(code)
        label = code or "unknown country"
        lines += ["", f"# {label}"]
        text = help_lines_text(country).splitlines()
        lines += [line for line in text if not line.startswith("Numbers checked on")]
    return "\n".join(lines)


def signable_texts(catalog: Catalog, resources: CrisisResources) -> dict[str, str]:
    """Scope -> current text: every answer (by answer id, in catalog order), then help lines."""
    texts: dict[str, str] = {}
    for intent in catalog.intents.values():
        texts.setdefault(intent.answer.id, intent.answer.text)
    texts[HELP_LINES] = help_lines_snapshot(resources)
    return texts


def coverage(texts: Mapping[str, str], signoffs: Iterable[SignOff]) -> dict[str, Coverage]:
    """Where every signable text stands, given the recorded sign-offs."""
    clinical = sorted((s for s in signoffs if s.clinical), key=lambda s: s.on)
    out: dict[str, Coverage] = {}
    for scope, text in texts.items():
        digest = fingerprint(text)
        current = last = None
        for signoff in clinical:
            if scope in signoff.signed:
                last = signoff
                if signoff.signed[scope] == digest:
                    current = signoff
        out[scope] = Coverage(scope, text, digest, current, last)
    return out


def snapshot_path(content_dir: Path, digest: str) -> Path:
    return content_dir / SNAPSHOT_DIR / f"{digest}.txt"


def signed_text(content_dir: Path, digest: str) -> str | None:
    """The text that was signed, if its snapshot is kept."""
    path = snapshot_path(content_dir, digest)
    return path.read_text(encoding="utf-8") if path.exists() else None


_HEADER = """\
# Clinical sign-offs: who signed which texts, in what role, and when.
# Written by `recovery-bot review --sign` (docs/RELEASE.md); edit by hand only to fix a typo in
# a name or a note. Each entry's `signed` maps an answer id (or help_lines: the crisis reply
# texts and every country's help lines) to the SHA-256 fingerprint of the exact text signed;
# that text is kept in content/signoffs/<fingerprint>.txt. A sign-off covers a text only while
# the fingerprint matches: any edit to an answer needs a new sign-off.
version: 1
signoffs:
"""


def record_signoff(
    content_dir: Path,
    texts: Mapping[str, str],
    scopes: Iterable[str],
    *,
    reviewer: str,
    role: str,
    on: dt.date,
    notes: str = "",
) -> SignOff:
    """Append a sign-off of the current ``texts`` of ``scopes``; keep the signed texts."""
    scopes = list(dict.fromkeys(scopes))
    unknown = [s for s in scopes if s not in texts]
    if unknown:
        raise ValueError(f"nothing to sign called {', '.join(unknown)}")
    if not scopes:
        raise ValueError("nothing to sign: name answers (--answers) or use --all")
    if not reviewer.strip() or not role.strip():
        raise ValueError("a sign-off needs the reviewer's name and role")
    signed = {scope: fingerprint(texts[scope]) for scope in scopes}
    for scope, digest in signed.items():
        path = snapshot_path(content_dir, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(normalize(texts[scope]), encoding="utf-8")
    path = content_dir / SIGNOFFS_FILE
    current = path.read_text(encoding="utf-8") if path.exists() else _HEADER
    current = current.replace("signoffs: []", "signoffs:")
    if not current.endswith("\n"):
        current += "\n"
    entry = [
        f"  - reviewer: {_quote(reviewer.strip())}",
        f"    role: {_quote(role.strip())}",
        f"    on: {on.isoformat()}",
    ]
    if notes.strip():
        entry.append(f"    notes: {_quote(notes.strip())}")
    entry.append("    signed:")
    entry += [f"      {_key(scope)}: {digest}" for scope, digest in signed.items()]
    path.write_text(current + "\n".join(entry) + "\n", encoding="utf-8")
    return SignOff(reviewer.strip(), role.strip(), on, signed, notes.strip())


def _key(scope: str) -> str:
    return scope if re.fullmatch(r"[a-z][a-z0-9_]*", scope) else _quote(scope)


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)
