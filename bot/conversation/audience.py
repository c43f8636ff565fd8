"""Who a message is about: "my son relapsed" is a parent asking, "my client" a supporter.

A few words are enough: the answer variant (``content/answers/<id>.family.md``) is chosen from
them, and from the stored role when the message does not say. Nothing here is stored.
"""

from __future__ import annotations

import re

from bot.decision import Role

_FAMILY = (
    "son|daughter|kid|kids|child|children|boy|girl|teen|teenager|stepson|stepdaughter|"
    "wife|husband|partner|spouse|fianc[eé]e?|boyfriend|girlfriend|bf|gf|"
    "mom|mum|mother|dad|father|mam|parents?|brother|sister|sibling|bro|sis|"
    "cousin|uncle|aunt|nephew|niece|grandson|granddaughter|grandma|grandpa|"
    "friend|best friend|bestie|roommate|loved one|family member"
)
_SUPPORTER = "clients?|patients?|sponsees?|mentees?|residents?|participants?|caseload"

FAMILY = re.compile(
    rf"\b(?:my|our)\s+(?:(?:\w+\s+)?year\s+old\s+|little\s+|older\s+|younger\s+|"
    rf"adult\s+|oldest\s+|youngest\s+|best\s+|teenage\s+)?(?:{_FAMILY})\b",
    re.IGNORECASE,
)
SUPPORTER = re.compile(
    rf"\b(?:(?:my|our|a|one\s+of\s+my)\s+(?:{_SUPPORTER})|i(?:'m|\s+am)\s+an?\s+"
    rf"(?:peer\s+(?:worker|supporter|specialist|coach)|counsell?or|case\s+worker|"
    rf"social\s+worker|sponsor|recovery\s+coach|nurse|outreach\s+worker))\b",
    re.IGNORECASE,
)


def audience_of(text: str) -> Role | None:
    """The family role when the message is about a relative or friend, supporter when about a
    client, patient or sponsee; None when it does not say (the stored role then decides)."""
    if SUPPORTER.search(text):
        return "supporter"
    if FAMILY.search(text):
        return "family"
    return None
