"""Customers in the chat: "换到宁波那家", "把这家存为客户", "我的客户".

:class:`CustomerChat` is the chat service's :class:`~assistant.chat.service.CustomerCommands`:
consulted before the dialogue engine, it answers a customer command and says which customer
the conversation belongs to from then on; the chat service binds it in the transaction that
stores the reply, and from the next turn the profile (what scripts, cases and ROI read) is
that customer's record.  Any other message, and a switch that names no customer of the caller
without a customer word ("换成 EG-3200 呢"), is left to the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from assistant.chat.service import CustomerTurn, customer_key, profile_from_json, profile_to_json
from assistant.customers.commands import CustomerCommand, parse
from assistant.customers.records import (
    CustomerError,
    CustomerInvalidError,
    CustomerNameTakenError,
    CustomerRecord,
    CustomerService,
)
from assistant.dialogue.texts import label
from assistant.dialogue.types import Caller, CustomerProfile, Reply
from assistant.i18n import error_message

log = logging.getLogger(__name__)

SHOWN = 5  # customers named in one reply; the customer picker on the page lists them all

_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "switched": "已切换到客户「{name}」{facts}。接下来的话术、案例和 ROI 都按这家客户的情况来。",
        "already": "现在聊的就是「{name}」{facts}。",
        "which": "有 {n} 家客户符合「{words}」：{names}。要换到哪家？",
        "ask": "要切换到哪家客户？{names}",
        "none_saved": "你还没有保存的客户。说“把这家存为客户”，或在页面上方的客户栏里新建。",
        "not_found": "你的客户里没有找到「{words}」。说“我的客户”看看已保存的客户，或说“新建客户 公司名”。",
        "saved": "已把「{name}」存为客户，这个会话归到它名下。换台设备选这个客户，也接着这些信息聊。",
        "exists": "「{name}」已经在你的客户里了，这个会话已归到它名下。",
        "need_name": "先告诉我客户公司的名字，比如“把杭州恒逸化纤存为客户”。",
        "invalid": "没能保存这个客户：{reason}",
        "list": "你的客户（共 {total} 家）：",
        "line": "{n}. {name}{facts}",
        "more": "另有 {more} 家，见页面上方的客户栏。",
        "sg_switch": "换到{name}",
        "sg_mine": "我的客户",
    },
    "en": {
        "switched": "Switched to the customer {name}{facts}. Scripts, cases and ROI now use this customer's facts.",
        "already": "You are already talking about {name}{facts}.",
        "which": "{n} customers match '{words}': {names}. Which one?",
        "ask": "Which customer? {names}",
        "none_saved": "You have no saved customer yet. Say 'save as customer', or create one in the customer bar.",
        "not_found": "No customer of yours matches '{words}'. Say 'my customers' to see them.",
        "saved": "Saved {name} as a customer; this conversation belongs to it now, on every device.",
        "exists": "{name} is already one of your customers; this conversation belongs to it now.",
        "need_name": "Tell me the customer's company name first, e.g. 'save Hangzhou Hengyi as customer'.",
        "invalid": "Could not save this customer: {reason}",
        "list": "Your customers ({total} in all):",
        "line": "{n}. {name}{facts}",
        "more": "{more} more in the customer bar.",
        "sg_switch": "换到{name}",
        "sg_mine": "我的客户",
    },
}


def _t(lang: str, key: str, **values: object) -> str:
    return _TEXTS["en" if lang == "en" else "zh"][key].format(**values)


def _facts(lang: str, customer: CustomerRecord) -> str:
    """ "（宁波 · 注塑）": region and industry when known."""
    parts = [
        label(lang, group, str(customer.profile[key]))
        for key, group in (("region", "region"), ("industry", "industry"))
        if customer.profile.get(key)
    ]
    if not parts:
        return ""
    return f" ({' · '.join(parts)})" if lang == "en" else f"（{' · '.join(parts)}）"


class CustomerChat:
    """Built once per process; ``service`` builds a customer service over the data as it is
    when asked (the channel tree, the vocabulary): cheap, it keeps no state."""

    def __init__(self, service: Callable[[], CustomerService]) -> None:
        self._service = service

    @property
    def service(self) -> CustomerService:
        return self._service()

    def handle(
        self, *, caller: Caller, conversation_id: str, text: str, profile: CustomerProfile
    ) -> CustomerTurn | None:
        command = parse(text)
        if command is None:
            return None
        try:
            if command.kind == "list":
                return self._list(caller, profile)
            if command.kind == "save":
                return self._save(caller, command, profile)
            return self._switch(caller, command, profile)
        except CustomerError as exc:  # a broken record or input: say so, let nothing crash the turn
            log.warning("customer command failed (%s): %s", exc.code, exc)
            return None

    # -- the three commands ----------------------------------------------------------

    def _switch(self, caller: Caller, command: CustomerCommand, profile: CustomerProfile) -> CustomerTurn | None:
        lang = caller.language
        if not command.words:  # "换个客户": which one?
            customers, _ = self.service.list(caller, limit=SHOWN)
            own = [c for c in customers if c.owner_user_id == caller.user_id]
            if not own:
                return self._say(_t(lang, "none_saved"), profile)
            names = "、".join(c.name for c in own)
            return self._say(_t(lang, "ask", names=names), profile, self._switch_suggestions(lang, own))
        found = self.service.match(caller, command.words)
        exact = [c for c in found if customer_key(c.name) == customer_key(command.words)]
        if exact:
            found = exact
        if not found:
            if not command.marked:  # "换成EG-3200呢": not about a customer at all
                return None
            return self._say(_t(lang, "not_found", words=command.words), profile, (_t(lang, "sg_mine"),))
        if len(found) > 1:
            names = "、".join(c.name for c in found[:SHOWN])
            text = _t(lang, "which", n=len(found), words=command.words, names=names)
            return self._say(text, profile, self._switch_suggestions(lang, found[:SHOWN]))
        customer = found[0]
        key = "already" if profile.customer_name == customer.name else "switched"
        text = _t(lang, key, name=customer.name, facts=_facts(lang, customer))
        return self._bound(text, customer)

    def _save(self, caller: Caller, command: CustomerCommand, profile: CustomerProfile) -> CustomerTurn:
        lang = caller.language
        name = command.words or profile.customer_name
        if not name:
            return self._say(_t(lang, "need_name"), profile)
        # The facts gathered so far belong to the new customer only when they are about it
        # (no company named yet, or this one): "把宁波海天存为客户" while talking about 恒逸 starts empty.
        facts = profile_to_json(profile)
        about_it = profile.customer_name is None or customer_key(profile.customer_name) == customer_key(name)
        start = {k: v for k, v in facts.items() if k != "customer_name"} if about_it else {}
        try:
            customer = self.service.create(caller, name=name, profile=start)
        except CustomerNameTakenError:
            same = [c for c in self.service.match(caller, name) if customer_key(c.name) == customer_key(name)]
            if not same:  # deleted meanwhile: nothing to bind
                raise
            return self._bound(_t(lang, "exists", name=same[0].name), same[0])
        except CustomerInvalidError as exc:
            return self._say(_t(lang, "invalid", reason=error_message(exc.code, lang)), profile)
        return self._bound(_t(lang, "saved", name=customer.name), customer)

    def _list(self, caller: Caller, profile: CustomerProfile) -> CustomerTurn:
        lang = caller.language
        customers, total = self.service.list(caller, limit=SHOWN)
        if not customers:
            return self._say(_t(lang, "none_saved"), profile)
        lines = [_t(lang, "list", total=total)]
        lines += [_t(lang, "line", n=n, name=c.name, facts=_facts(lang, c)) for n, c in enumerate(customers, start=1)]
        if total > len(customers):
            lines.append(_t(lang, "more", more=total - len(customers)))
        own = [c for c in customers if c.owner_user_id == caller.user_id]
        return self._say("\n".join(lines), profile, self._switch_suggestions(lang, own))

    # -- replies ---------------------------------------------------------------------

    @staticmethod
    def _switch_suggestions(lang: str, customers: list[CustomerRecord] | tuple[CustomerRecord, ...]) -> tuple[str, ...]:
        return tuple(_t(lang, "sg_switch", name=c.name) for c in customers[:3])

    @staticmethod
    def _say(text: str, profile: CustomerProfile, suggestions: tuple[str, ...] = ()) -> CustomerTurn:
        reply = Reply(text=text, intent="profile_update", confidence=1.0, profile=profile, suggestions=suggestions)
        return CustomerTurn(reply=reply)

    def _bound(self, text: str, customer: CustomerRecord) -> CustomerTurn:
        profile = profile_from_json(self.service.profile_of(customer))
        reply = Reply(text=text, intent="profile_update", confidence=1.0, profile=profile)
        return CustomerTurn(reply=reply, rebind=True, customer_id=customer.id)
