"""The handoff's two hooks into the chat.

* :meth:`HandoffBridge.probe` and :meth:`HandoffBridge.route` are ChatService's turn
  router: the probe reads the conversation's active handoff in the transaction that
  stores the message; while there is one, the requester's message answers the bot's
  question (slot collection) or is relayed to the expert's side, and the engine does
  not run (except for a question of its own during slot collection, which the engine
  answers).
* :meth:`HandoffBridge.request` is the dialogue engine's ``HandoffSkill``: on the
  ``handoff_request`` intent it opens the handoff for the conversation of the turn.

The skill's Protocol carries no conversation id, so ``route`` (which runs first on
every turn, in the same thread and context as the engine) records the turn in a
context variable the skill reads.  Before :meth:`attach` the bridge does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Connection

from assistant.chat.service import RoutedTurn, StoredEvent, profile_from_json
from assistant.dialogue.skills import SkillResult
from assistant.dialogue.types import Caller, CustomerProfile, ProfilePatch, Reply
from assistant.handoff.requester import ActiveHandoff
from assistant.handoff.service import HandoffService
from assistant.handoff.texts import text


@dataclass(frozen=True, slots=True)
class _Turn:
    conversation_id: str
    user_id: str


_CURRENT_TURN: ContextVar[_Turn | None] = ContextVar("handoff_current_turn", default=None)


class HandoffBridge:
    def __init__(self, service: HandoffService | None = None) -> None:
        self._service = service

    def attach(self, service: HandoffService) -> None:
        self._service = service

    # -- ChatService TurnRouter ------------------------------------------------------

    def probe(self, db: Connection, conversation_id: str) -> ActiveHandoff | None:
        """In the transaction that stores the message: the conversation's active handoff."""
        return None if self._service is None else self._service.active_handoff(db, conversation_id)

    def route(
        self, *, caller: Caller, conversation_id: str, message: StoredEvent, probed: object | None
    ) -> RoutedTurn | None:
        _CURRENT_TURN.set(_Turn(conversation_id=conversation_id, user_id=caller.user_id))
        if self._service is None or not isinstance(probed, ActiveHandoff):
            return None
        outcome = self._service.take_turn(
            caller=caller,
            conversation_id=conversation_id,
            text_said=str(message.payload.get("text", "")),
            chat_seq=message.seq,
            active=probed,
        )
        if outcome is None:
            return None
        if outcome.reply is None:
            return RoutedTurn(reply=None)
        patch: ProfilePatch = dict(outcome.profile_patch)
        profile = profile_from_json(self._service.profile_of(conversation_id))
        return RoutedTurn(
            reply=Reply(
                text=outcome.reply,
                intent="handoff_request",
                confidence=1.0,
                suggestions=outcome.suggestions,
                profile=profile.merged(patch),
                handoff_offered=True,
            )
        )

    # -- dialogue HandoffSkill ---------------------------------------------------------

    def request(self, *, caller: Caller, text: str, profile: CustomerProfile, history: Sequence[str]) -> SkillResult:
        turn = _CURRENT_TURN.get()
        if self._service is None or turn is None or turn.user_id != caller.user_id:
            return SkillResult(text=_text(caller, "intro_no_context"), handoff_offered=True)
        outcome = self._service.request(
            caller=caller, conversation_id=turn.conversation_id, text_said=text, history=history, in_turn=True
        )
        return SkillResult(text=outcome.text, suggestions=outcome.suggestions, handoff_offered=True)


def _text(caller: Caller, key: str) -> str:
    return text(caller.language, key)
