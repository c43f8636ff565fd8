"""Button action strings: short, versioned, so old buttons in a chat history fail politely.

Format ``v1:<kind>[:<arg>...]``. A new format gets a new version prefix; anything that does
not parse is answered with the menu (see ``Conversation.handle_action``).
"""

from __future__ import annotations

VERSION = "v1"

TOPIC = "t"  # v1:t:<intent_id>            answer for an intent
GROUP = "g"  # v1:g:<group_id>             intents of one group
MENU = "m"  # v1:m                         all topic groups
HELP = "h"  # v1:h                         help lines now
ROLE = "r"  # v1:r:<role>                  who the person is
COUNTRY = "c"  # v1:c:<code> | v1:c:-      which help lines to show
COUNTRY_MENU = "cm"  # v1:cm                 the country choice
FEEDBACK = "f"  # v1:f:<intent_id>:<1|0>   was this helpful
# v1:sp:<op> (safety plan) and v1:ci:... (check-ins) belong to feature modules (bot.features).
FORGET = "fg"  # v1:fg:<yes|no>            erase everything
MORE = "mo"  # v1:mo:<intent_id>           an answer's related topics
ONBOARD = "ob"  # v1:ob:<role|country>     skip an onboarding question
SETTINGS = "st"  # v1:st:role               change a setting from /settings


def make(kind: str, *args: str) -> str:
    """Build an action string, e.g. ``make(TOPIC, "tolerance") == "v1:t:tolerance"``."""
    return ":".join((VERSION, kind, *args))


def parse(action: str) -> tuple[str, list[str]] | None:
    """Split an action into (kind, args); None when it is not a version this code knows."""
    parts = action.split(":")
    if len(parts) < 2 or parts[0] != VERSION or not parts[1]:
        return None
    return parts[1], parts[2:]
