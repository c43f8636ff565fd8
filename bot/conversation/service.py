"""The transport-neutral conversation: commands, buttons and texts in, replies out.

Telegram handlers and the terminal chat both call this; neither decides anything itself.
Every text a person sends goes through ``engine.decide`` first, which runs the crisis check
before anything else, including while a flow (safety plan, check-in set-up) is waiting, and
before any per-person database work: a crisis message in a burst does not wait for writes.

Multi-step flows keep their state in storage (``store.flows``), keyed by chat, with an expiry,
so a person whose messages land on different instances goes on where they were.

Features (check-ins, the safety plan) live in ``bot.features`` and register their commands and
buttons; this core knows none of them by name.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.config import Settings
from bot.conversation import actions, menus, texts
from bot.conversation.audience import audience_of
from bot.conversation.counters import CounterBuffer
from bot.conversation.ports import EngineLike
from bot.conversation.registry import (
    Action,
    ActionHandler,
    Command,
    CommandHandler,
    Flow,
    FlowHandler,
    Sender,
    SettingsSection,
    ShutdownHook,
    StartupHook,
)
from bot.conversation.reply import Button, Chat, Reply, Rows
from bot.decision import Context, Decision, Role

log = logging.getLogger(__name__)

ELSEWHERE = "ZZ"
"""Country code stored for "somewhere else" (ISO 3166: unknown); it has no lines of its own."""
MAX_RELATED = 3
USER_TTL = 60.0
"""Seconds a person's role/country is cached: another instance's change shows up within it."""
USER_CACHE_MAX = 20_000
ORDINARY_AT_ONCE = 32
"""Ordinary (non-crisis) texts doing their database work at the same time, per process."""
SOURCES_TTL = timedelta(days=1)
"""How long /sources remembers the last answer's intent."""
FLOW_TTL = timedelta(hours=2)
"""How long a flow waits for the next text by default (a feature may choose its own)."""
SOURCES_LIMIT = 200
"""Characters of an answer's source line before the rest goes behind /sources."""

# Telegram's command menu, in this order. Feature modules append their own.
BUILTIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "How to use this bot"),
    ("topics", "Browse all topics"),
    ("crisis", "Help lines, right now"),
    ("country", "Which help lines to show"),
    ("settings", "Who you are, country, time zone, check-ins"),
    ("checkin", "Set up, change or stop check-ins"),
    ("safetyplan", "Your plan for hard moments"),
    ("sources", "Sources of the last answer"),
    ("privacy", "What is kept and what is not"),
    ("forget", "Erase everything about you"),
)


class Conversation:
    """One instance per process; state that must survive restarts lives in the store."""

    def __init__(self, engine: EngineLike, store: Any, settings: Settings) -> None:
        self.engine = engine
        self.store = store
        self.settings = settings
        self._flows: dict[str, Flow] = {}
        self._commands: dict[str, Command] = {}
        self._actions: dict[str, Action] = {}
        self._startup: list[StartupHook] = []
        self._shutdown: list[ShutdownHook] = []
        self._settings: list[SettingsSection] = []
        self.counters = CounterBuffer(store)
        self._users: dict[int, tuple[float, Any]] = {}
        self._ordinary = asyncio.Semaphore(ORDINARY_AT_ONCE)
        self._last_answer: dict[int, str] = {}
        """Intent id of each chat's last answer (for /sources), as this process last saw it;
        stored too (``store.flows`` slot ``sources``), so /sources works on any instance."""

    # ----------------------------------------------------------------- extension points
    def register_command(
        self,
        name: str,
        handler: CommandHandler,
        description: str | None = None,
        *,
        private_only: bool = True,
    ) -> None:
        """Add (or replace) a slash command; personal commands default to private chats only."""
        self._commands[name] = Command(name, handler, description, private_only)

    def register_action(
        self, prefix: str, handler: ActionHandler, *, private_only: bool = True
    ) -> None:
        """Route buttons ``v1:<prefix>:...`` to ``handler``."""
        if actions.parse(actions.make(prefix)) is None or ":" in prefix:
            raise ValueError(f"bad action prefix {prefix!r}")
        self._actions[prefix] = Action(prefix, handler, private_only)

    def register_flow(
        self,
        kind: str,
        handler: FlowHandler,
        *,
        accepts_crisis_text: bool = False,
        ttl: timedelta = FLOW_TTL,
    ) -> None:
        """A kind of flow: ``handler(chat, state, text)`` gets the chat's next text."""
        self._flows[kind] = Flow(kind, handler, accepts_crisis_text, ttl)

    def register_settings(self, section: SettingsSection) -> None:
        """Add a feature's lines and buttons to /settings."""
        self._settings.append(section)

    def on_startup(self, hook: StartupHook) -> None:
        """Run ``hook(sender)`` when the transport starts (e.g. start a scheduler)."""
        self._startup.append(hook)

    def on_shutdown(self, hook: ShutdownHook) -> None:
        """Run ``hook()`` when the transport stops."""
        self._shutdown.append(hook)

    async def start(self, sender: Sender) -> None:
        """Called once by the transport after the store is open."""
        for hook in self._startup:
            await hook(sender)

    async def stop(self) -> None:
        """Called once by the transport before the store closes."""
        await self.counters.flush()
        for hook in reversed(self._shutdown):
            try:
                await hook()
            except Exception:
                log.exception("shutdown hook failed")

    def menu_commands(self) -> list[tuple[str, str]]:
        """(command, description) pairs for Telegram's command menu."""
        result = list(BUILTIN_COMMANDS)
        known = {name for name, _ in result}
        for command in self._commands.values():
            if command.description and command.name not in known:
                result.append((command.name, command.description))
        return result

    # ----------------------------------------------------------------- flows
    async def start_flow(self, chat_id: int, kind: str, state: str = "") -> None:
        """From now on, texts in this chat go to flow ``kind`` (after the crisis check).

        ``state`` is what the flow needs to go on (ids and numbers, never the person's words);
        it is stored, so any instance continues the flow.
        """
        flow = self._flows[kind]
        await self.store.flows.put(chat_id, kind, state, ttl=flow.ttl)

    async def end_flow(self, chat_id: int) -> None:
        """Back to normal question answering."""
        await self.store.flows.drop(chat_id)

    async def flow_of(self, chat_id: int, *, urgent: bool = False) -> tuple[Flow, str] | None:
        """The flow waiting for this chat's next text and its state, if any."""
        found = await self._urgent_or_not(urgent).flows.get(chat_id)
        return None if found is None else self._flow_named(found.kind, found.state)

    def _flow_named(self, kind: str | None, state: str) -> tuple[Flow, str] | None:
        flow = self._flows.get(kind) if kind else None
        return None if flow is None else (flow, state)

    # ----------------------------------------------------------------- people
    def cached_user(self, chat_id: int) -> Any:
        """The person as this process last read them (no database work), or None."""
        cached = self._users.get(chat_id)
        if cached is not None and time.monotonic() - cached[0] < USER_TTL:
            return cached[1]
        return None

    async def user(self, chat: Chat) -> Any:
        """The stored person (created on first contact in private chats), briefly cached."""
        now = time.monotonic()
        cached = self._users.get(chat.id)
        if cached is not None and now - cached[0] < USER_TTL:
            return cached[1]
        if chat.private:
            found = await self.store.people.ensure(chat.id)
        else:
            found = await self.store.people.get(chat.id)
        if len(self._users) >= USER_CACHE_MAX:
            self._users.clear()
        self._users[chat.id] = (now, found)
        return found

    async def update_user(self, chat_id: int, **fields: Any) -> Any:
        """``store.update_user`` that keeps the cache right (features should use this)."""
        updated = await self.store.people.update(chat_id, **fields)
        self._users[chat_id] = (time.monotonic(), updated)
        return updated

    def forget_cached(self, chat_id: int) -> None:
        """Drop what this process remembers about a chat (the store erased the rest)."""
        self._users.pop(chat_id, None)
        self._last_answer.pop(chat_id, None)

    # ----------------------------------------------------------------- context
    async def context_for(
        self, chat: Chat, *, with_plan: bool = False, user: Any = None
    ) -> Context:
        """What the engine may know: country, role, chat type, and the plan only in private."""
        if user is None:
            user = await self.user(chat)
        country = getattr(user, "country", None) or self.settings.default_country
        role = getattr(user, "role", None) if chat.private else None
        plan_text = await self._plan_text(chat) if with_plan else None
        return Context(
            country=country,
            role=role,
            chat_type="private" if chat.private else "group",
            safety_plan_text=plan_text,
            sources_limit=SOURCES_LIMIT,
        )

    def _urgent_or_not(self, urgent: bool) -> Any:
        """The store's repositories, or for a crisis reply those on the store's own small pool
        (``store.urgent``), which a burst of ordinary messages does not fill."""
        return getattr(self.store, "urgent", self.store) if urgent else self.store

    async def _plan_text(self, chat: Chat, *, urgent: bool = False) -> str | None:
        """The person's safety plan as text (private chats only), or None."""
        if not chat.private:
            return None
        return self._render_plan(await self._urgent_or_not(urgent).plans.get(chat.id))

    @staticmethod
    def _render_plan(plan: dict[str, list[str]] | None) -> str | None:
        if plan and any(plan.values()):
            from bot.safety_plan import SafetyPlan, render

            return render(SafetyPlan.from_dict(plan))
        return None

    # ----------------------------------------------------------------- texts
    async def handle_text(self, chat: Chat, text: str, *, addressed: bool = True) -> list[Reply]:
        """A message. In groups, ``addressed`` says whether it was meant for the bot.

        Not addressed: only the crisis check runs, and only a crisis gets a reply (unless the
        group's admins turned the watch off).
        """
        if not addressed:
            return await self.crisis_check(chat, text)
        # Crisis first: the check runs on what this process already knows, before any
        # per-person database work (a write can wait behind a burst of other people's).
        cached = self.cached_user(chat.id)
        known = cached is not None
        context = self._with_audience(chat, text, self._context_of(chat, cached))
        decision = self.engine.decide(text, context)
        if decision.kind == "crisis":
            return await self._crisis_text(chat, text, decision, context, known=known)
        # Ordinary messages do their database work a few at a time: in a burst, a crisis
        # message's reads queue behind these few, not behind every message that came with it.
        async with self._ordinary:
            return await self._ordinary_text(chat, text, decision, context, known=known)

    async def _ordinary_text(
        self, chat: Chat, text: str, decision: Decision, context: Context, *, known: bool
    ) -> list[Reply]:
        await self.counters.add("message")
        if not known:
            # Now the stored role and country: they change an answer's wording.
            user = await self.user(chat)
            context = self._with_audience(chat, text, await self.context_for(chat, user=user))
            decision = self.engine.decide(text, context)
            if decision.kind == "crisis":  # defensive: the check does not depend on the person
                return await self._crisis_text(chat, text, decision, context, known=True)
        current = await self.flow_of(chat.id) if chat.private else None
        if current is not None:
            flow, state = current
            return await flow.handler(chat, state, text)
        replies = await self._decision_replies(chat, decision)
        return replies + await self._onboarding_follow_up(chat)

    def is_crisis(self, text: str) -> bool:
        """Whether a text gets a crisis reply, from the text alone (no storage): lets the
        transport put a crisis message ahead of others before it is even stored.

        Every webhook update gets this as it arrives, so it runs the crisis check alone, as
        ``decide`` runs it first, without ranking intents for an answer (a few times the
        cost, paid again when the message is answered): in a burst of questions it keeps
        the event loop free for the crisis message among them.
        """
        check = getattr(self.engine, "crisis", None)
        semantic = getattr(self.engine, "semantic", None)
        if check is not None and semantic is not None:
            from bot.understanding.message import Message

            return check.check(Message.read(text, semantic.embedder)).signal is not None
        context = Context(country=self.settings.default_country, sources_limit=SOURCES_LIMIT)
        return self.engine.decide(text, context).kind == "crisis"

    def _context_of(self, chat: Chat, user: Any) -> Context:
        """The context from a person already read (None: not known yet), without storage."""
        country = getattr(user, "country", None) or self.settings.default_country
        role = getattr(user, "role", None) if chat.private else None
        return Context(
            country=country,
            role=role,
            chat_type="private" if chat.private else "group",
            sources_limit=SOURCES_LIMIT,
        )

    @staticmethod
    def _with_audience(chat: Chat, text: str, context: Context) -> Context:
        audience = audience_of(text)
        if audience is not None and chat.private:
            # "my son relapsed": answered for a parent, whatever role is stored.
            return replace(context, audience=audience)
        return context

    async def _crisis_text(
        self, chat: Chat, text: str, decision: Decision, context: Context, *, known: bool
    ) -> list[Reply]:
        """A crisis message: help first; one read (the person's country, their plan, their
        flow, in one statement: in a burst every wait for the database is long).

        Nothing is written before the reply is built: the person's row and the counters wait
        (the counters flush in the background), except a flow that keeps the text (the safety
        plan's warning signs), which saves it with the reply.
        """
        facts = await self._urgent_or_not(True).crisis.facts(chat.id)
        if facts.country and not known:
            context = self._with_audience(chat, text, self._context_of(chat, facts))
            decision = self.engine.decide(text, context)
        plan_text = self._render_plan(facts.plan) if chat.private else None
        current = self._flow_named(facts.flow_kind, facts.flow_state) if chat.private else None
        replies = self._crisis_reply(chat, text, decision, context, plan_text)
        self.counters.add_later("message")
        if current is not None and current[0].accepts_crisis_text:
            replies += await current[0].handler(chat, current[1], text)
        return replies

    async def _onboarding_follow_up(self, chat: Chat) -> list[Reply]:
        """After the first answer to someone new: who they are, once, briefly, skippable.

        The question is asked after the answer, never instead of it; it is asked once (marked
        by ``consent``, which answering or skipping it also sets) and never when stored.
        """
        if not chat.private:
            return []
        user = await self.user(chat)
        if user is None or getattr(user, "role", None) or getattr(user, "consent", False):
            return []
        await self.update_user(chat.id, consent=True)
        return [Reply(texts.ONBOARD_ROLE, menus.role_menu())]

    async def _ask_country_if_missing(self, chat: Chat, head: str) -> list[Reply]:
        """``head``, then the country question only when no country is stored."""
        user = await self.user(chat)
        if getattr(user, "country", None):
            return [Reply(f"{head}\n\n{texts.CHANGE_ANY_TIME}", (menus.NAV_ROW,))]
        rows = menus.onboard_country_menu(self.engine, chat.language_code)
        return [Reply(f"{head}\n\n{texts.ONBOARD_COUNTRY}", rows)]

    async def crisis_check(self, chat: Chat, text: str) -> list[Reply]:
        """Messages the bot was not addressed in (groups) and edited messages.

        The check runs before any database work; only a crisis reads the group's watch
        setting and the stored country.
        """
        cached = self.cached_user(chat.id)
        context = self._context_of(chat, cached)
        decision = self.engine.decide(text, context)
        if decision.kind != "crisis":
            return []
        if not chat.private and not await self.store.groups.crisis_watch(chat.id):
            return []
        # The stored country and the plan are read only now, in one statement: one query on
        # crisis instead of on every message.
        facts = await self._urgent_or_not(True).crisis.facts(chat.id)
        if cached is None and facts.country:
            # The crisis decision again with the stored country.
            context = self._with_audience(chat, text, self._context_of(chat, facts))
            decision = self.engine.decide(text, context)
        plan_text = self._render_plan(facts.plan) if chat.private else None
        return self._crisis_reply(chat, text, decision, context, plan_text)

    def _crisis_reply(
        self, chat: Chat, text: str, decision: Decision, context: Context, plan_text: str | None
    ) -> list[Reply]:
        """Help lines first, then the person's own plan (private chats) when they have one."""
        self.counters.add_later("crisis", key=decision.crisis_kind or "")
        if plan_text:
            decision = self.engine.decide(text, replace(context, safety_plan_text=plan_text))
        rows: Rows = ()
        if not context.country:
            # Country unknown: the reply lists the main national lines; one tap on a country
            # here shows that country's own lines.
            rows = menus.country_menu(self.engine, chat.language_code)
        return [Reply(decision.reply, rows, urgent=True)]

    async def _decision_replies(self, chat: Chat, decision: Decision) -> list[Reply]:
        if decision.kind == "answer" and decision.intent:
            await self.counters.add("intent_hit", key=decision.intent)
            await self._remember_answer(chat, decision.intent)
            return [self._answer(chat, decision)]
        if decision.kind == "suggest" and decision.suggestions:
            await self.counters.add("suggest")
            rows = menus.topic_rows(self.engine, decision.suggestions)
            extra = (Button(texts.NONE_OF_THESE, actions.make(actions.MENU)), menus.HELP_BUTTON)
            text = self._without_listed(decision.reply, decision.suggestions)
            return [Reply(text, (*rows, extra))]
        await self.counters.add("fallback")
        return [Reply(decision.reply, menus.groups_menu(self.engine))]

    def _without_listed(self, text: str, intent_ids: tuple[str, ...]) -> str:
        """The suggestion text without its numbered list of titles: the buttons show them."""
        titles = {str(getattr(self.engine.catalog.intents.get(i), "title", "")) for i in intent_ids}
        kept = [
            line
            for line in text.split("\n")
            if not (line[:1].isdigit() and line.partition(". ")[2] in titles)
        ]
        return "\n".join(kept).strip()

    async def _remember_answer(self, chat: Chat, intent_id: str) -> None:
        """The intent /sources will show, for whichever instance gets /sources (an id only)."""
        if chat.private:
            await self.store.flows.put(
                chat.id, "intent", intent_id, ttl=SOURCES_TTL, slot="sources"
            )

    def _answer(self, chat: Chat, decision: Decision) -> Reply:
        """An answer with four choices: feedback, the way to help, and "More" for the rest."""
        intent_id = decision.intent or ""
        if len(self._last_answer) >= USER_CACHE_MAX:
            self._last_answer.clear()
        self._last_answer[chat.id] = intent_id
        feedback = (
            Button(texts.FEEDBACK_YES, actions.make(actions.FEEDBACK, intent_id, "1")),
            Button(texts.FEEDBACK_NO, actions.make(actions.FEEDBACK, intent_id, "0")),
        )
        more = Button(texts.MORE_BUTTON, actions.make(actions.MORE, intent_id))
        return Reply(decision.reply, (feedback, (menus.HELP_BUTTON, more)))

    async def _act_more(self, chat: Chat, args: list[str]) -> list[Reply]:
        """Behind an answer's "More": its related topics and all topics."""
        if len(args) != 1 or args[0] not in self.engine.catalog.intents:
            return await self.old_button(chat)
        intent = self.engine.catalog.intents[args[0]]
        related = tuple(getattr(intent, "related", ()))[:MAX_RELATED]
        rows = menus.topic_rows(self.engine, related)
        return [Reply(texts.MORE_TOPICS, (*rows, (menus.TOPICS_BUTTON,)))]

    async def non_text(self, chat: Chat) -> list[Reply]:
        """Stickers, photos, voice: the bot reads text; say so kindly, with the way to help."""
        return [Reply(texts.NON_TEXT, ((menus.HELP_BUTTON,),))]

    async def help_now(self, chat: Chat) -> list[Reply]:
        """Help lines for this chat's country (and the person's own plan, in private)."""
        context = await self.context_for(chat, with_plan=True)
        text = self.engine.help_lines(context)
        if context.safety_plan_text:
            text += "\n\n" + context.safety_plan_text
        rows = ((Button(texts.CHANGE_COUNTRY, actions.make(actions.COUNTRY_MENU)),),)
        return [Reply(text, rows, urgent=True)]

    # ----------------------------------------------------------------- commands
    async def handle_command(self, chat: Chat, name: str, args: str = "") -> list[Reply]:
        """A slash command (name without the slash, lower case; ``args`` the rest of the line)."""
        name = name.lower()
        if name != "crisis" and chat.private:
            await self.end_flow(chat.id)
        command = self._commands.get(name)
        if command is not None:
            if command.private_only and not chat.private:
                return [Reply(texts.PRIVATE_ONLY)]
            await self.user(chat)
            return await command.handler(chat, args)
        builtin = getattr(self, f"_cmd_{name}", None)
        if builtin is None:
            return [Reply(texts.UNKNOWN_COMMAND)]
        await self.user(chat)
        replies: list[Reply] = await builtin(chat, args)
        return replies

    async def _cmd_start(self, chat: Chat, args: str) -> list[Reply]:
        if not chat.private:
            return [Reply(texts.GROUP_WELCOME, (menus.NAV_ROW,))]
        user = await self.user(chat)
        if getattr(user, "role", None) or getattr(user, "consent", False):
            # Stored answers are never asked again.
            if getattr(user, "country", None):
                return [Reply(texts.WELCOME_BACK, (menus.NAV_ROW,))]
            rows = menus.onboard_country_menu(self.engine, chat.language_code)
            return [Reply(f"{texts.WELCOME_BACK}\n\n{texts.ONBOARD_COUNTRY}", rows)]
        # Not marked as asked: if the person asks a question instead, the question comes back
        # once, briefly, after the answer.
        return [Reply(texts.WELCOME, menus.role_menu())]

    async def _cmd_settings(self, chat: Chat, args: str) -> list[Reply]:
        """Who you are, country, and what features add (time zone, check-ins), to change."""
        if not chat.private:
            return [Reply(texts.PRIVATE_ONLY)]
        user = await self.user(chat)
        role = str(getattr(user, "role", None) or "")
        role_labels: dict[str, str] = {k: v for k, v in texts.ROLE_LABELS.items()}
        code = getattr(user, "country", None)
        countries = dict(self.engine.resources.countries())
        country = countries.get(code) or (texts.SOMEWHERE_ELSE if code == ELSEWHERE else None)
        lines = [
            texts.SETTINGS,
            texts.SETTINGS_ROLE.format(role=role_labels.get(role, texts.NOT_SET)),
            texts.SETTINGS_COUNTRY.format(country=country or texts.NOT_SET),
        ]
        rows: list[tuple[Button, ...]] = [
            (
                Button(texts.CHANGE_ROLE, actions.make(actions.SETTINGS, "role")),
                Button(texts.CHANGE_COUNTRY, actions.make(actions.COUNTRY_MENU)),
            )
        ]
        for section in self._settings:
            more_lines, more_rows = await section(chat)
            lines += more_lines
            rows += more_rows
        return [Reply("\n".join(lines), tuple(rows))]

    async def _cmd_help(self, chat: Chat, args: str) -> list[Reply]:
        text = texts.HELP if chat.private else texts.GROUP_HELP
        return [Reply(text, (menus.NAV_ROW,))]

    async def _cmd_topics(self, chat: Chat, args: str) -> list[Reply]:
        return [Reply(texts.TOPICS, menus.groups_menu(self.engine))]

    async def _cmd_crisis(self, chat: Chat, args: str) -> list[Reply]:
        await self.counters.add("crisis", key="command")
        return await self.help_now(chat)

    async def _cmd_country(self, chat: Chat, args: str) -> list[Reply]:
        return [Reply(texts.ASK_COUNTRY, menus.country_menu(self.engine, chat.language_code))]

    async def _cmd_sources(self, chat: Chat, args: str) -> list[Reply]:
        """Every source of this chat's last answer, whole, with its web address."""
        catalog = self.engine.catalog
        stored = await self.store.flows.get(chat.id, slot="sources") if chat.private else None
        intent_id = stored.state if stored is not None else self._last_answer.get(chat.id)
        if intent_id not in catalog.intents:
            return [Reply(texts.SOURCES_NONE, (menus.NAV_ROW,))]
        lines = [texts.SOURCES_OF.format(title=catalog.intents[intent_id].title)]
        refs = catalog.intents[intent_id].answer.sources
        for ref, label in zip(refs, catalog.source_labels(intent_id), strict=True):
            url = str(getattr(catalog.sources.get(ref), "url", ""))
            lines.append(f"- {label}" + (f" {url}" if url.startswith("http") else ""))
        return [Reply("\n".join(lines), (menus.NAV_ROW,))]

    async def _cmd_privacy(self, chat: Chat, args: str) -> list[Reply]:
        return [Reply(texts.PRIVACY, (menus.NAV_ROW,))]

    async def _cmd_forget(self, chat: Chat, args: str) -> list[Reply]:
        if not chat.private:
            return [Reply(texts.PRIVATE_ONLY)]
        yes = Button(texts.FORGET_YES, actions.make(actions.FORGET, "yes"))
        no = Button(texts.FORGET_NO, actions.make(actions.FORGET, "no"))
        return [Reply(texts.FORGET_ASK, ((yes,), (no,)))]

    async def _cmd_checkin(self, chat: Chat, args: str) -> list[Reply]:
        # Replaced when the check-in feature registers "checkin".
        if not chat.private:
            return [Reply(texts.PRIVATE_ONLY)]
        return [Reply(texts.CHECKIN_NOT_SET_UP, (menus.NAV_ROW,))]

    async def _cmd_ask(self, chat: Chat, args: str) -> list[Reply]:
        if not args.strip():
            return [Reply(texts.ASK_EMPTY)]
        return await self.handle_text(chat, args, addressed=True)

    async def _cmd_crisiswatch(self, chat: Chat, args: str) -> list[Reply]:
        if chat.private:
            return [Reply(texts.CRISISWATCH_GROUPS)]
        wanted = args.strip().lower()
        if wanted not in ("on", "off"):
            on = await self.store.groups.crisis_watch(chat.id)
            return [Reply(texts.CRISISWATCH_STATE.format(state="on" if on else "off"))]
        if not chat.is_admin:
            return [Reply(texts.CRISISWATCH_ADMINS)]
        await self.store.groups.set_crisis_watch(chat.id, wanted == "on")
        return [Reply(texts.CRISISWATCH_ON if wanted == "on" else texts.CRISISWATCH_OFF)]

    # ----------------------------------------------------------------- buttons
    async def handle_action(self, chat: Chat, action: str) -> list[Reply]:
        """A pressed button. Anything unknown (an old version's button) gets the menu."""
        parsed = actions.parse(action)
        if parsed is None:
            return await self.old_button(chat)
        kind, args = parsed
        feature = self._actions.get(kind)
        if feature is not None:
            if feature.private_only and not chat.private:
                return [Reply(texts.PRIVATE_ONLY)]
            await self.user(chat)
            return await feature.handler(chat, args)
        handler = _ACTIONS.get(kind)
        if handler is None:
            return await self.old_button(chat)
        await self.user(chat)
        replies: list[Reply] = await handler(self, chat, args)
        return replies

    async def old_button(self, chat: Chat) -> list[Reply]:
        """The polite answer to buttons this version no longer knows."""
        return [Reply(texts.OLD_BUTTON, menus.groups_menu(self.engine))]

    async def _act_topic(self, chat: Chat, args: list[str]) -> list[Reply]:
        if len(args) != 1 or args[0] not in self.engine.catalog.intents:
            return await self.old_button(chat)
        decision = self.engine.answer_for(args[0], await self.context_for(chat))
        await self.counters.add("intent_hit", key=args[0])
        await self._remember_answer(chat, args[0])
        return [self._answer(chat, decision)]

    async def _act_group(self, chat: Chat, args: list[str]) -> list[Reply]:
        group = next((g for g in self.engine.catalog.groups if [g.id] == args), None)
        if group is None:
            return await self.old_button(chat)
        rows = menus.topic_rows(self.engine, group.intent_ids)
        back = (Button(texts.ALL_TOPICS, actions.make(actions.MENU)), menus.HELP_BUTTON)
        text = texts.GROUP_TOPICS.format(title=group.title)
        return [Reply(text, (*rows, back), edit=True)]

    async def _act_menu(self, chat: Chat, args: list[str]) -> list[Reply]:
        return [Reply(texts.TOPICS, menus.groups_menu(self.engine), edit=True)]

    async def _act_help(self, chat: Chat, args: list[str]) -> list[Reply]:
        await self.counters.add("crisis", key="button")
        return await self.help_now(chat)

    async def _act_role(self, chat: Chat, args: list[str]) -> list[Reply]:
        if len(args) != 1 or args[0] not in menus.ROLES:
            return await self.old_button(chat)
        role: Role = args[0]  # narrowed by the ROLES check above
        await self.update_user(chat.id, role=role, consent=True)
        return await self._ask_country_if_missing(chat, texts.ROLE_THANKS[role])

    async def _act_onboard(self, chat: Chat, args: list[str]) -> list[Reply]:
        """Skip an onboarding question: the role (then the country, if missing) or the country."""
        if args == ["role"]:
            await self.update_user(chat.id, consent=True)
            return await self._ask_country_if_missing(chat, "Okay.")
        if args == ["country"]:
            return [Reply(texts.SKIPPED, (menus.NAV_ROW,))]
        return await self.old_button(chat)

    async def _act_settings(self, chat: Chat, args: list[str]) -> list[Reply]:
        if args != ["role"]:
            return await self.old_button(chat)
        return [Reply(texts.WHO_ARE_YOU, menus.role_menu())]

    async def _act_country_menu(self, chat: Chat, args: list[str]) -> list[Reply]:
        return [Reply(texts.ASK_COUNTRY, menus.country_menu(self.engine, chat.language_code))]

    async def _act_country(self, chat: Chat, args: list[str]) -> list[Reply]:
        countries = dict(self.engine.resources.countries())
        if len(args) != 1 or (args[0] != "-" and args[0] not in countries):
            return await self.old_button(chat)
        code = args[0]
        if code == "-":
            # ISO 3166's "unknown" code: remembered, so the deployment's DEFAULT_COUNTRY never
            # replaces it, and it has no lines of its own, so the worldwide ones are shown.
            code = ELSEWHERE
            head = texts.COUNTRY_ELSEWHERE
        else:
            head = texts.COUNTRY_SET.format(name=countries[code])
        await self.update_user(chat.id, country=code)
        context = await self.context_for(chat)
        lines = self.engine.help_lines(context)
        follow = "\n\nNow ask me anything, or browse with /topics." if chat.private else ""
        return [Reply(f"{head}\n\n{lines}{follow}", (menus.NAV_ROW,))]

    async def _act_feedback(self, chat: Chat, args: list[str]) -> list[Reply]:
        if len(args) != 2 or args[0] not in self.engine.catalog.intents or args[1] not in "01":
            return await self.old_button(chat)
        await self.store.counters.record_feedback(args[0], args[1] == "1")
        return [Reply(texts.FEEDBACK_THANKS, toast=True)]

    async def _act_forget(self, chat: Chat, args: list[str]) -> list[Reply]:
        if not chat.private:
            return [Reply(texts.PRIVATE_ONLY)]
        if args == ["yes"]:
            erasure = await self.store.forget(chat.id)
            self.forget_cached(chat.id)
            # Say "done" only when the store checked the words are gone from its files too.
            if getattr(erasure, "complete", True):
                return [Reply(texts.FORGET_DONE)]
            return [Reply(texts.FORGET_FINISHING)]
        return [Reply(texts.FORGET_KEPT)]


_ActionMethod = Any
_ACTIONS: dict[str, _ActionMethod] = {
    actions.TOPIC: Conversation._act_topic,
    actions.GROUP: Conversation._act_group,
    actions.MENU: Conversation._act_menu,
    actions.HELP: Conversation._act_help,
    actions.ROLE: Conversation._act_role,
    actions.COUNTRY_MENU: Conversation._act_country_menu,
    actions.COUNTRY: Conversation._act_country,
    actions.FEEDBACK: Conversation._act_feedback,
    actions.FORGET: Conversation._act_forget,
    actions.MORE: Conversation._act_more,
    actions.ONBOARD: Conversation._act_onboard,
    actions.SETTINGS: Conversation._act_settings,
}
