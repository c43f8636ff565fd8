"""The check-in wording, loaded from ``content/checkins.yaml`` (content as data).

Code refers to a text by (section, key); a missing key is a content error naming the file,
found at start-up by :func:`load` rather than in front of a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.paths import content_dir
from bot.yamlfile import ContentError, load_yaml

FILE_NAME = "checkins.yaml"

# Every (section, key) the code uses; checked when the file loads.
REQUIRED: dict[str, tuple[str, ...]] = {
    "setup": (
        "intro", "how_often", "pick_weekday", "pick_time", "bad_time", "pick_zone", "bad_zone",
        "saved", "status_on", "status_paused", "status_off", "paused", "resumed", "stopped",
        "not_now", "not_set_up", "footer",
    ),
    "frequency": ("daily", "weekdays", "weekly", "off"),
    "buttons": ("change", "pause", "resume", "stop", "now", "other_zone"),
    "checkin": ("question", "good", "okay", "struggling", "help", "pause_note"),
    "answers": (
        "good", "okay", "struggling", "craving_ask", "craving_skip", "craving_thanks",
        "craving_high", "plan_button", "people_button", "cravings_button", "lines_button",
    ),
    "progress": (
        "title", "legend", "week", "craving_line", "summary", "empty", "no_start", "days",
        "reached", "next", "longest", "start_set", "new_start", "new_start_ask", "bad_date",
        "start_today_button", "new_start_button", "new_today_button",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Milestone:
    """A day count (``days``) or a calendar span in months (``months``), with its name."""

    name: str
    days: int | None = None
    months: int | None = None


@dataclass(frozen=True)
class CheckinTexts:
    sections: Mapping[str, Mapping[str, str]]
    milestones: tuple[Milestone, ...]

    def get(self, section: str, key: str, **values: Any) -> str:
        """The text, with ``{placeholders}`` filled from ``values`` when given."""
        text = self.sections[section][key]
        return text.format(**values) if values else text


def parse(data: Any, path: Path | str) -> CheckinTexts:
    """Validate the YAML mapping; raises ContentError naming the missing piece."""
    if not isinstance(data, dict):
        raise ContentError(path, None, "expected a mapping of sections")
    sections: dict[str, dict[str, str]] = {}
    for section, keys in REQUIRED.items():
        raw = data.get(section)
        if not isinstance(raw, dict):
            raise ContentError(path, None, f"missing section {section!r}")
        for key in keys:
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ContentError(path, None, f"missing text {section}.{key}")
        sections[section] = {k: str(v).strip() for k, v in raw.items() if isinstance(v, str)}
    milestones: list[Milestone] = []
    for item in data.get("progress", {}).get("milestones") or []:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], str)):
            raise ContentError(path, None, "a milestone is [days, name] or [mN, name]")
        span, name = item
        if isinstance(span, int) and span > 0:
            milestones.append(Milestone(name, days=span))
        elif isinstance(span, str) and span.startswith("m") and span[1:].isdigit():
            milestones.append(Milestone(name, months=int(span[1:])))
        else:
            raise ContentError(path, None, f"bad milestone span {span!r}")
    if not milestones:
        raise ContentError(path, None, "progress.milestones is empty")
    return CheckinTexts(sections, tuple(milestones))


def load(root: Path | None = None) -> CheckinTexts:
    """Read and check ``content/checkins.yaml``."""
    path = content_dir(root) / FILE_NAME
    return parse(load_yaml(path), path)


@lru_cache(maxsize=1)
def default() -> CheckinTexts:
    """The shipped wording, loaded once per process."""
    return load()
