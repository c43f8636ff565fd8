"""Keyboards shared by several replies: topic menus, the help button, countries, roles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.conversation import actions, texts
from bot.conversation.ports import EngineLike
from bot.conversation.reply import Button, Rows
from bot.decision import Role

HELP_BUTTON = Button(texts.HELP_BUTTON, actions.make(actions.HELP))
TOPICS_BUTTON = Button(texts.TOPICS_BUTTON, actions.make(actions.MENU))
NAV_ROW = (TOPICS_BUTTON, HELP_BUTTON)
ROLES: tuple[Role, ...] = ("recovery", "family", "supporter")


def pairs(buttons: Sequence[Button], per_row: int = 2) -> Rows:
    """Lay buttons out ``per_row`` to a row (short labels read well two across on a phone)."""
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def topic_button(engine: EngineLike, intent_id: str) -> Button | None:
    """A button that opens one intent's answer, labelled with its title."""
    intent = engine.catalog.intents.get(intent_id)
    if intent is None:
        return None
    return Button(str(intent.title), actions.make(actions.TOPIC, intent_id))


def topic_rows(engine: EngineLike, intent_ids: Iterable[str]) -> Rows:
    """One topic per row: titles are questions, too long to sit side by side."""
    rows: list[tuple[Button, ...]] = []
    for intent_id in intent_ids:
        button = topic_button(engine, intent_id)
        if button is not None:
            rows.append((button,))
    return tuple(rows)


def groups_menu(engine: EngineLike) -> Rows:
    """All topic groups, then the help button."""
    rows = [
        (Button(str(group.title), actions.make(actions.GROUP, str(group.id))),)
        for group in engine.catalog.groups
    ]
    return (*rows, (HELP_BUTTON,))


def role_menu() -> Rows:
    """Who is talking: tailors the wording of answers. Skippable."""
    return (
        *((Button(texts.ROLE_LABELS[role], actions.make(actions.ROLE, role)),) for role in ROLES),
        (Button(texts.SKIP, actions.make(actions.ONBOARD, "role")), HELP_BUTTON),
    )


LANGUAGE_COUNTRIES: dict[str, tuple[str, ...]] = {
    "es": ("ES", "MX", "US"),
    "de": ("DE",),
    "hi": ("IN",),
    "ga": ("IE",),
    "mi": ("NZ",),
    "fr": ("CA",),
}
"""Countries a bare app language makes likely (best first). A region ("en-GB") wins over this."""


def likely_countries(language_code: str | None, listed: Iterable[str]) -> tuple[str, ...]:
    """Listed countries a Telegram ``language_code`` suggests: "en-GB" -> GB, "es" -> ES, MX, US.

    Only a guess to put first in the choice; the full list is always shown.
    """
    if not language_code:
        return ()
    known = tuple(listed)
    language, _, region = language_code.replace("_", "-").partition("-")
    region = region.upper()
    region = "GB" if region == "UK" else region
    if region in known:
        return (region,)
    return tuple(code for code in LANGUAGE_COUNTRIES.get(language.lower(), ()) if code in known)


def onboard_country_menu(engine: EngineLike, language_code: str | None = None) -> Rows:
    """The country choice during onboarding: the same, with a way to skip it."""
    skip = Button(texts.SKIP, actions.make(actions.ONBOARD, "country"))
    return (*country_menu(engine, language_code)[:-1], (skip, HELP_BUTTON))


def country_menu(engine: EngineLike, language_code: str | None = None) -> Rows:
    """Countries the crisis resources list, then "somewhere else", then help.

    With a ``language_code``, the likely countries come first on a row of their own (marked
    with a pin); they stay in the full list below too, so nothing is hidden.
    """
    countries = engine.resources.countries()
    names = dict(countries)
    buttons = [Button(name, actions.make(actions.COUNTRY, code)) for code, name in countries]
    buttons.append(Button(texts.SOMEWHERE_ELSE, actions.make(actions.COUNTRY, "-")))
    likely = likely_countries(language_code, names)
    first = [
        Button(f"{texts.LIKELY_COUNTRY} {names[code]}", actions.make(actions.COUNTRY, code))
        for code in likely
    ]
    return (*pairs(first), *pairs(buttons), (HELP_BUTTON,))
