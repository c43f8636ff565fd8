"""Fixed texts of the conversation (menus, welcome, privacy). Answers come from content/."""

from __future__ import annotations

from bot.decision import Role

WELCOME_INTRO = (
    "Hi, I'm recovery-bot. I answer questions about opioid addiction and recovery: "
    "for people in recovery, their family and friends, and the people who support them.\n\n"
    "I'm not a doctor and I'm not a crisis service. But I will always show you where to get "
    "help. Type /crisis at any time to see help lines.\n\n"
    "Privacy: I never store what you write. /privacy tells you more, /forget erases you."
)
WHO_ARE_YOU = "Who are you? This helps me choose my words."
WELCOME = f"{WELCOME_INTRO}\n\n{WHO_ARE_YOU}"
WELCOME_BACK = (
    "Welcome back. Ask me anything, or browse with /topics. /settings shows who you said you "
    "are, your country and your check-ins."
)
ONBOARD_ROLE = (
    "One quick question, so I can choose my words: who are you? You can skip it. "
    "I never store what you write; /privacy tells you more."
)
ONBOARD_COUNTRY = (
    "Which country are you in? I use it to show the right help lines. You can skip it."
)
SKIP = "Skip"
CHANGE_ANY_TIME = "/settings changes this any time. Ask me anything."
SKIPPED = f"Okay. {CHANGE_ANY_TIME}"
SETTINGS = "Your settings:"
SETTINGS_ROLE = "Who you are: {role}"
SETTINGS_COUNTRY = "Country: {country}"
NOT_SET = "not set"
CHANGE_ROLE = "👤 Change who I am"

GROUP_WELCOME = (
    "Hi, I'm recovery-bot. I answer questions about opioid addiction and recovery. "
    "In a group I answer when you mention me, reply to me, or use /ask followed by a question. "
    "I'm not a doctor and not a crisis service, but /crisis always shows help lines.\n\n"
    "Personal things (a safety plan, check-ins) only happen in a private chat with me."
)

ROLE_LABELS: dict[Role, str] = {
    "recovery": "I'm in recovery",
    "family": "Family or friend",
    "supporter": "I support others",
}

ROLE_THANKS: dict[Role, str] = {
    "recovery": "Thank you for telling me. I'm glad you're here.",
    "family": "Thank you for telling me. Caring for someone you love is hard work.",
    "supporter": "Thank you for telling me, and for the work you do.",
}

ASK_COUNTRY = "Which country are you in? I use it to show the right help lines."
COUNTRY_SET = "Got it. I'll show help lines for {name}."
COUNTRY_ELSEWHERE = (
    "Okay. I don't have local help lines for your country yet, so I'll show general ones. "
    "Your local emergency number is always the fastest help."
)
SOMEWHERE_ELSE = "Somewhere else"
LIKELY_COUNTRY = "📍"
"""Marks the countries the person's app language suggests, shown first in the choice."""

HELP = (
    "Just type your question in your own words, for example:\n"
    "  • what is methadone?\n"
    "  • how do I help my son?\n"
    "  • why do I get cravings?\n\n"
    "Commands:\n"
    "/topics – browse all topics\n"
    "/crisis – help lines, right now\n"
    "/country – choose which help lines I show\n"
    "/settings – who you are, your country, time zone and check-ins\n"
    "/checkin – set up, change or stop check-ins\n"
    "/progress – your check-ins and milestones\n"
    "/safetyplan – write down your plan for hard moments\n"
    "/sources – every source of my last answer\n"
    "/privacy – what I keep and what I don't\n"
    "/forget – erase everything I keep about you\n\n"
    "I'm not a doctor. For medicine or dose questions, please ask your prescriber or pharmacist."
)

GROUP_HELP = (
    "In a group I answer when you mention me, reply to one of my messages, or write "
    "/ask followed by your question. /topics lists what I know, /crisis shows help lines.\n"
    "Group admins can turn my crisis replies off or on with /crisiswatch off or /crisiswatch on."
)

PRIVACY = (
    "What I keep: your chat number, who you said you are, your country and time zone, "
    "check-in settings and answers, and your safety plan if you write one.\n\n"
    "What I don't keep: the messages you write to me. I only count, without names, how often "
    "topics come up, so the bot can get better.\n\n"
    "/forget erases everything I keep about you, at once."
)

TOPICS = "Pick a topic:"
GROUP_TOPICS = "{title}. Pick a question:"
ALL_TOPICS = "⬅ All topics"
TOPICS_BUTTON = "📚 Topics"
HELP_BUTTON = "🆘 Help now"
CHANGE_COUNTRY = "🌍 Change country"
NONE_OF_THESE = "None of these"
MORE_BUTTON = "➕ More"
MORE_TOPICS = "More on this:"
SOURCES_OF = 'Sources of the answer to "{title}":'
SOURCES_NONE = "Ask me something first: /sources then lists every source of my answer."

FEEDBACK_YES = "👍 Helpful"
FEEDBACK_NO = "👎 Not helpful"
FEEDBACK_THANKS = "Thanks for telling me."

OLD_BUTTON = "That button is from an older version of me. Here is the menu."

FORGET_ASK = (
    "This erases everything I keep about you: who you are, your country, check-ins and your "
    "safety plan. It can't be undone. Erase everything?"
)
FORGET_YES = "Yes, erase everything"
FORGET_NO = "No, keep it"
FORGET_DONE = "Done. I erased everything I kept about you. If you write again, I start fresh."
FORGET_FINISHING = (
    "I erased everything I kept about you, and I no longer know who you are. Clearing the "
    "last leftover copy from the server's disk finishes in a minute. If you write again, "
    "I start fresh."
)
FORGET_KEPT = "Okay, nothing was erased."

PRIVATE_ONLY = (
    "That's personal, so I only do it in a private chat. Please message me directly "
    "(tap my name, then Message)."
)

NON_TEXT = (
    "I can only read text messages, sorry. Type your question in words and I'll do my best. "
    "If you need help right now, type /crisis for help lines."
)

CHECKIN_NOT_SET_UP = "Check-ins are not set up on this deployment yet."

CRISISWATCH_ON = (
    "Crisis watch is on: if someone here seems to be in danger, I'll reply with help lines."
)
CRISISWATCH_OFF = (
    "Crisis watch is off: I won't reply to messages I'm not addressed in. /crisis still works."
)
CRISISWATCH_ADMINS = "Only group admins can change this."
CRISISWATCH_GROUPS = "/crisiswatch is for groups. In a private chat I always watch for crisis."
CRISISWATCH_STATE = "Crisis watch is {state}. Admins can use /crisiswatch on or /crisiswatch off."

ASK_EMPTY = "Write your question after /ask, for example: /ask what is naloxone?"
UNKNOWN_COMMAND = "I don't know that command. /help shows what I can do."
