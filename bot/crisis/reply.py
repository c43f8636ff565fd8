"""The crisis reply: short, warm, help first. All wording comes from crisis_resources.yaml.

When the person's country is known, the reply names that country's lines. When it is not
(``CountryResources.country_unknown``), it names every listed country's main crisis line in one
compact block, the emergency numbers, findahelpline.com and "your local emergency number", and
points to /country; the conversation layer adds the country buttons.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.crisis.detector import CrisisSignal
from bot.crisis.resources import CountryResources, HelpLine

MAX_REPLY_CHARS = 900
"""The reply before the safety plan fits one phone screen."""
CHILD_RULE = "overdose.child_got_into_medicine"
"""The lexicon rule for a young child who got into someone's medicine. Its reply says to call
even if the child seems fine, in place of the line for someone who took too much themselves:
step 1 ("say the person is not breathing") can read as not applying to a child who looks well."""


def _fill(template: str, country: CountryResources, spanish: bool = False) -> str:
    crisis = country.crisis_lines[0].contact if country.crisis_lines else ""
    emergency = country.emergency_number
    if spanish:
        emergency = country.emergency.number or str(country.texts["spanish_local_emergency"])
    return template.format(emergency=emergency, crisis=crisis)


def _unique(lines: Iterable[HelpLine]) -> list[HelpLine]:
    """Lines in order, each number or address once (a line can serve as crisis and drug line)."""
    seen: set[str] = set()
    out: list[HelpLine] = []
    for line in lines:
        if line.contact not in seen:
            seen.add(line.contact)
            out.append(line)
    return out


def _bullets(lines: Iterable[HelpLine], spanish: bool = False) -> list[str]:
    ordered = _unique(lines)
    if spanish:
        ordered.sort(key=lambda line: not line.spanish)  # stable: Spanish-speaking lines first
    return [f"- {line.describe(spanish)}" for line in ordered]


def emergency_numbers(country: CountryResources) -> str:
    """ "911 US, Canada, Mexico; 999 UK; ..." for a person whose country is not known."""
    return "; ".join(f"{number} {', '.join(names)}" for number, names in country.emergencies)


def _emergency_line(country: CountryResources) -> str:
    return f"{country.texts['national_emergency']} {emergency_numbers(country)}."


def national_block(country: CountryResources, spanish: bool = False) -> str:
    """Every listed country's main crisis line, then the worldwide one, one line each.

    ``spanish``: the lines that answer in Spanish come first, under their own heading.
    """
    t = country.texts
    entries = country.national_lines(spanish)
    elsewhere = [f"- {t['national_elsewhere']}: {line.brief()}" for line in country.crisis_lines]
    es = [f"- {e.describe(spanish=True)}" for e in entries if spanish and e.line.spanish]
    rest = [e for e in entries if not (spanish and e.line.spanish)]
    if not es:
        listed = [f"- {e.describe()}" for e in rest]
        return "\n".join([str(t["national_intro"]), *listed, *elsewhere])
    # The other countries' lines on one line, so the Spanish ones still fit one screen.
    others = " · ".join(f"{', '.join(e.countries)} {e.line.contact}" for e in rest)
    return "\n".join(
        [str(t["national_intro_es"]), *es, f"{t['national_intro_other']} {others}", *elsewhere]
    )


def crisis_reply(
    signal: CrisisSignal, country: CountryResources, safety_plan_text: str | None = None
) -> str:
    """The reply to a crisis message: what to do now and who to reach, then the safety plan.

    Overdose: emergency number and the response steps first. Suicide: the crisis line first.
    Violence: emergency number first. Plain text; the Telegram adapter escapes it.
    """
    t = country.texts
    spanish = signal.language == "es"
    unknown = country.country_unknown
    parts: list[str | None] = []
    if spanish:
        parts.append(_fill(t["spanish_lead"], country, spanish=True))
    # The Spanish lead already says "I'm a bot and can't call for you".
    bot_note = None if spanish else t["bot_note"]
    if signal.kind == "overdose":
        steps = [f"{i}. {_fill(s, country)}" for i, s in enumerate(t["overdose_steps"], 1)]
        if unknown:
            # The emergency number is what counts in an overdose: name them in step 1.
            first = str(t["overdose_steps"][0])
            emergency = f"{country.emergency_number} ({emergency_numbers(country)})"
            steps[0] = "1. " + first.format(emergency=emergency, crisis="")
            lines = [f"- {t['national_elsewhere']}: {ln.brief()}" for ln in country.crisis_lines]
        else:
            lines = _bullets((*country.crisis_lines[:1], *country.drug_lines[-1:]), spanish)
        parts += [
            t["overdose_lead"],
            "\n".join(steps),
            _fill(t["overdose_child" if signal.rule == CHILD_RULE else "overdose_self"], country),
            bot_note,
            "\n".join(lines),
        ]
    elif signal.kind == "suicide":
        lines_text = (
            national_block(country, spanish)
            if unknown
            else "\n".join(_bullets(country.crisis_lines, spanish))
        )
        danger = _fill(t["suicide_danger"], country)
        if unknown:
            danger += "\n" + _emergency_line(country)
        parts += [t["suicide_lead"], lines_text, danger, bot_note]
    else:
        steps = [f"- {s}" for s in t["violence_steps"]]
        lead = _fill(t["violence_lead"], country)
        if unknown:
            lead += "\n" + _emergency_line(country)
            lines_text = national_block(country, spanish)
        else:
            lines_text = (
                t["lines_intro"] + "\n" + "\n".join(_bullets(country.crisis_lines[:2], spanish))
            )
        parts += [lead, "\n".join(steps), lines_text, bot_note]
    if unknown:
        parts.append(t["choose_country"])
    reply = "\n\n".join(str(p) for p in parts if p)
    if safety_plan_text and safety_plan_text.strip():
        reply += f"\n\n{t['plan_intro']}\n{safety_plan_text.strip()}"
    return reply


def help_lines_text(country: CountryResources) -> str:
    """The /crisis command: emergency number, crisis lines and drug help lines for the country."""
    title = "Help lines" if country.is_fallback else f"Help lines in {country.name}"
    lines = [f"{title}:", f"- Emergency: {country.emergency_number}"]
    if country.country_unknown:
        lines.append(_emergency_line(country))
        lines.append(national_block(country))
    else:
        lines += _bullets((*country.crisis_lines, *country.drug_lines))
    checked = min(line.verified_on for line in country.all_lines())
    lines.append(f"Numbers checked on {checked.isoformat()}. Use /country to change the country.")
    return "\n".join(lines)


def crisis_banner(country: CountryResources) -> str:
    """The lines shown above an answer about a crisis topic: the emergency number and who to
    talk to now (for an unknown country, every country's main line on one line)."""
    if country.country_unknown:
        lead = str(country.texts["banner"]).format(emergency=country.emergency_number)
        lines = [f"{', '.join(e.countries)} {e.line.contact}" for e in country.national_lines()]
        lines += [line.contact for line in country.crisis_lines]
        return f"{lead} {' · '.join(lines)}"
    lead = _fill(str(country.texts["banner"]), country)
    return "\n".join([lead, *_bullets(country.crisis_lines[:2])])


def overdose_pointer(country: CountryResources) -> str:
    """One line for overdose topics: call the emergency number and give naloxone."""
    return _fill(str(country.texts["pointer"]), country)
