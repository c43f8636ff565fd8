"""The crisis reply: short, warm, help first. All wording comes from crisis_resources.yaml."""

from __future__ import annotations

from bot.crisis.detector import CrisisSignal
from bot.crisis.resources import CountryResources, HelpLine

MAX_REPLY_CHARS = 900
"""The reply before the safety plan fits one phone screen."""


def _fill(template: str, country: CountryResources, spanish: bool = False) -> str:
    crisis = country.crisis_lines[0].contact if country.crisis_lines else ""
    emergency = country.emergency_number
    if spanish:
        emergency = country.emergency.number or str(country.texts["spanish_local_emergency"])
    return template.format(emergency=emergency, crisis=crisis)


def _bullets(lines: tuple[HelpLine, ...]) -> list[str]:
    return [f"- {line.describe()}" for line in lines]


def crisis_reply(
    signal: CrisisSignal, country: CountryResources, safety_plan_text: str | None = None
) -> str:
    """The reply to a crisis message: what to do now and who to reach, then the safety plan.

    Overdose: emergency number and the response steps first. Suicide: the crisis line first.
    Violence: emergency number first. Plain text; the Telegram adapter escapes it.
    """
    t = country.texts
    parts: list[str] = []
    if signal.language == "es":
        parts.append(_fill(t["spanish_lead"], country, spanish=True))
    if signal.kind == "overdose":
        steps = [f"{i}. {_fill(s, country)}" for i, s in enumerate(t["overdose_steps"], 1)]
        parts += [
            t["overdose_lead"],
            "\n".join(steps),
            _fill(t["overdose_self"], country),
            t["bot_note"],
            "\n".join(_bullets((*country.crisis_lines[:1], *country.drug_lines[-1:]))),
        ]
    elif signal.kind == "suicide":
        parts += [
            t["suicide_lead"],
            "\n".join(_bullets(country.crisis_lines)),
            _fill(t["suicide_danger"], country),
            t["bot_note"],
        ]
    else:
        steps = [f"- {s}" for s in t["violence_steps"]]
        lines = "\n".join(_bullets(country.crisis_lines[:2]))
        parts += [
            _fill(t["violence_lead"], country),
            "\n".join(steps),
            t["lines_intro"],
            lines,
            t["bot_note"],
        ]
    reply = "\n\n".join(p for p in parts if p)
    if safety_plan_text and safety_plan_text.strip():
        reply += f"\n\n{t['plan_intro']}\n{safety_plan_text.strip()}"
    return reply


def help_lines_text(country: CountryResources) -> str:
    """The /crisis command: emergency number, crisis lines and drug help lines for the country."""
    title = "Help lines" if country.is_fallback else f"Help lines in {country.name}"
    lines = [f"{title}:", f"- Emergency: {country.emergency_number}"]
    seen: set[str] = set()
    for line in (*country.crisis_lines, *country.drug_lines):
        if line.contact not in seen:
            seen.add(line.contact)
            lines.append(f"- {line.describe()}")
    checked = min(line.verified_on for line in country.all_lines())
    lines.append(f"Numbers checked on {checked.isoformat()}. Use /country to change the country.")
    return "\n".join(lines)


def overdose_pointer(country: CountryResources) -> str:
    """One line for overdose topics: call the emergency number and give naloxone."""
    return _fill(str(country.texts["pointer"]), country)
