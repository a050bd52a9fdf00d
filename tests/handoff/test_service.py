"""The handoff service on a real SQLite file, with a controllable clock."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from assistant.chat.service import ChatService, ConversationNotFoundError
from assistant.content.loader import load_corpus
from assistant.dialogue.state import DialogueState
from assistant.dialogue.types import Caller, CustomerProfile, Reply
from assistant.handoff.bridge import HandoffBridge
from assistant.handoff.errors import (
    AlreadyTakenError,
    AtCapacityError,
    ExpertOnlyError,
    HandoffNotFoundError,
    InvalidStateError,
    JoinCodeExpiredError,
    JoinCodeInvalidError,
    JoinCodeUsedError,
    TransferTargetError,
)
from assistant.handoff.outbox import QueueChanged, ToConversation, ToExpert
from assistant.handoff.packet import about_device, build_packet, channel_level
from assistant.handoff.requester import TurnOutcome
from assistant.handoff.service import HandoffConfig
from assistant.handoff.setup import load_network
from assistant.handoff.types import SlotValues
from assistant.settings import PROJECT_ROOT, Settings
from tests.handoff.conftest import ALICE, BOB, EXP_EG, EXP_EG2, EXP_SN, Domain

FULL = SlotValues(
    product_model="EG-2100",
    product_line="EG",
    symptom="COM1 读不到数据",
    site="宁波",
    urgency="high",
    serial="LT1234567",
)


def open_session(d: Domain, caller: Caller = ALICE, slots: SlotValues = FULL) -> str:
    cid = d.chat.create_conversation(caller=caller)
    return d.service.request(caller=caller, conversation_id=cid, provided=slots).session.id


def route_turn(d: Domain, cid: str, text: str, chat_seq: int) -> TurnOutcome | None:
    """A requester's chat turn as the chat routes it: probe for the active handoff, then
    let it take the turn (None: the bot answers)."""
    with d.db.read() as s:
        active = d.service.active_handoff(s.connection(), cid)
    if active is None:
        return None
    return d.service.take_turn(caller=ALICE, conversation_id=cid, text_said=text, chat_seq=chat_seq, active=active)


def chat_events(d: Domain, caller: Caller, cid: str, kind: str) -> list[dict[str, object]]:
    return [e.payload for e in d.chat.events_after(caller=caller, conversation_id=cid) if e.type == kind]


def test_no_expert_online_is_a_ticket_with_a_callback_promise(domain: Domain) -> None:
    d = domain
    cid = d.chat.create_conversation(caller=ALICE)
    out = d.service.request(caller=ALICE, conversation_id=cid, provided=FULL)
    assert out.session.state == "ticket" and out.session.ticket_reason == "no_expert_online"
    assert out.session.callback_by is not None and (out.session.callback_by - d.clock.now).total_seconds() == 4 * 3600
    # 02:00 UTC + 4 h, written in China time.
    assert "2026-11-28 14:00" in out.text and out.session.ticket_id in out.text
    [status] = chat_events(d, ALICE, cid, "handoff_status")
    assert status["state"] == "ticket" and status["ticket_id"] == out.session.ticket_id
    assert route_turn(d, cid, "在吗", 1) is None  # bot's turn


def test_positions_and_estimates_follow_the_queue(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)  # capacity 2; the other EG expert is offline
    ids = []
    for _ in range(3):
        ids.append(open_session(d))
        d.clock.advance(1)
    views = [d.service.requester_view(caller=ALICE, session_id=i) for i in ids]
    assert [(v.position, v.estimate_minutes) for v in views] == [(1, 1), (2, 1), (3, 16)]
    d.outbox.drain()
    d.service.accept(caller=EXP_EG, session_id=ids[0])
    moved = [x for x in d.outbox.drain() if isinstance(x, ToConversation) and x.event.type == "handoff_queue"]
    assert sorted((m.event.payload["position"], m.event.payload["estimate_minutes"]) for m in moved) == [
        (1, 1),
        (2, 16),
    ]
    # A second expert online: more free capacity, shorter estimates.
    d.presence.connect(EXP_EG2.user_id)
    d.service.presence_changed()
    assert d.service.requester_view(caller=ALICE, session_id=ids[2]).estimate_minutes == 1
    assert any(isinstance(x, QueueChanged) and "EG" in x.lines for x in d.outbox.drain())


def test_capacity_is_enforced(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG2.user_id)  # capacity 1
    first, second = open_session(d), open_session(d)
    d.service.accept(caller=EXP_EG2, session_id=first)
    with pytest.raises(AtCapacityError):
        d.service.accept(caller=EXP_EG2, session_id=second)
    d.service.resolve(caller=EXP_EG2, session_id=first, summary="done")
    assert d.service.accept(caller=EXP_EG2, session_id=second).session.state == "assigned"


def test_threads_racing_to_accept_exactly_one_wins(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    for _ in range(12):
        sid = open_session(d)
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def take(
            expert: Caller, sid: str = sid, barrier: threading.Barrier = barrier, out: dict[str, str] = outcomes
        ) -> None:
            barrier.wait()
            try:
                d.service.accept(caller=expert, session_id=sid)
                out[expert.user_id] = "won"
            except AlreadyTakenError:
                out[expert.user_id] = "taken"

        threads = [threading.Thread(target=take, args=(e,)) for e in (EXP_EG, EXP_EG2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes.values()) == ["taken", "won"]
        winner = next(e for e in (EXP_EG, EXP_EG2) if outcomes[e.user_id] == "won")
        d.service.resolve(caller=winner, session_id=sid, summary="ok")
    assert d.service.metrics(caller=EXP_EG).overall.resolved == 12


def test_visibility_rules(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    sid = open_session(d)
    cid = d.service.requester_view(caller=ALICE, session_id=sid).conversation_id
    with pytest.raises(HandoffNotFoundError):
        d.service.requester_view(caller=BOB, session_id=sid)
    with pytest.raises(ConversationNotFoundError):
        d.service.request(caller=BOB, conversation_id=cid)
    with pytest.raises(HandoffNotFoundError):
        d.service.expert_detail(caller=EXP_SN, session_id=sid)
    with pytest.raises(HandoffNotFoundError):
        d.service.accept(caller=EXP_SN, session_id=sid)
    with pytest.raises(ExpertOnlyError):
        d.service.queue_for(caller=ALICE)
    assert d.service.queue_for(caller=EXP_SN) == ([], [])
    assert [v.id for v in d.service.queue_for(caller=EXP_EG2)[1]] == [sid]
    d.service.accept(caller=EXP_EG, session_id=sid)
    assert d.service.queue_for(caller=EXP_EG2) == ([], [])
    with pytest.raises(HandoffNotFoundError):
        d.service.expert_detail(caller=EXP_EG2, session_id=sid)
    with pytest.raises(AlreadyTakenError):
        d.service.accept(caller=EXP_EG2, session_id=sid)


def test_join_codes_are_single_use_requester_only_and_expire(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    sid = open_session(d)
    d.service.accept(caller=EXP_EG, session_id=sid)
    code = d.service.issue_join_code(caller=EXP_EG, session_id=sid)
    assert len(code.code) == 11 and code.code in code.link
    with pytest.raises(JoinCodeInvalidError):
        d.service.redeem_join_code(caller=BOB, code=code.code)
    assert d.service.redeem_join_code(caller=ALICE, code=code.code.lower()).session_id == sid
    with pytest.raises(JoinCodeUsedError):
        d.service.redeem_join_code(caller=ALICE, code=code.code)
    late = d.service.issue_join_code(caller=EXP_EG, session_id=sid)
    d.clock.advance(61)
    with pytest.raises(JoinCodeExpiredError):
        d.service.redeem_join_code(caller=ALICE, code=late.code)
    older = d.service.issue_join_code(caller=EXP_EG, session_id=sid)
    newer = d.service.issue_join_code(caller=EXP_EG, session_id=sid)
    with pytest.raises(JoinCodeInvalidError):  # a new code revokes the unused one
        d.service.redeem_join_code(caller=ALICE, code=older.code)
    assert d.service.redeem_join_code(caller=ALICE, code=newer.code).expert_name == "周工"
    with pytest.raises(JoinCodeInvalidError):
        d.service.redeem_join_code(caller=ALICE, code="AAAAA-BBBBB")


def test_a_join_codes_link_invites_to_our_own_assist_page_by_default(domain: Domain) -> None:
    # Relative, so it works on any host; a third-party AR tool is a setting away.
    assert Settings.model_fields["handoff_ar_link_base"].default == "/assist"
    assert HandoffConfig().ar_link_base == "/assist"
    d = domain
    d.presence.connect(EXP_EG.user_id)
    cid = d.chat.create_conversation(caller=ALICE)
    sid = d.service.request(caller=ALICE, conversation_id=cid, provided=FULL).session.id
    d.service.accept(caller=EXP_EG, session_id=sid)
    code = d.service.issue_join_code(caller=EXP_EG, session_id=sid)
    assert code.link == f"/assist?code={code.code}"
    shown = chat_events(d, ALICE, cid, "ar_join_code")
    assert shown[-1]["link"] == code.link
    # The answer names the conversation, so the page can open it.
    joined = d.service.redeem_join_code(caller=ALICE, code=code.code)
    assert (joined.session_id, joined.conversation_id) == (sid, cid)


def test_transfer_moves_the_session_and_tells_both_sides(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    sid = open_session(d)
    cid = d.service.requester_view(caller=ALICE, session_id=sid).conversation_id
    d.service.accept(caller=EXP_EG, session_id=sid)
    with pytest.raises(TransferTargetError):
        d.service.transfer(caller=EXP_EG, session_id=sid, to_username="exp_sn")
    with pytest.raises(TransferTargetError):
        d.service.transfer(caller=EXP_EG, session_id=sid, to_username="alice")
    d.outbox.drain()
    view = d.service.transfer(caller=EXP_EG, session_id=sid, to_username="exp_eg2", note="客户比较急")
    assert view.expert_id == EXP_EG2.user_id
    to_experts = {(x.expert_id, x.event["type"]) for x in d.outbox.drain() if isinstance(x, ToExpert)}
    # (and the call signal "hang up" to the first expert: assistant/handoff/rtc.py, tests/handoff/test_rtc.py)
    assert to_experts == {(EXP_EG2.user_id, "assigned"), (EXP_EG.user_id, "unassigned"), (EXP_EG.user_id, "rtc")}
    with pytest.raises(InvalidStateError):
        d.service.expert_message(caller=EXP_EG, session_id=sid, client_msg_id="x", text_said="hi")
    d.service.expert_detail(caller=EXP_EG, session_id=sid)  # still readable: it was routed to them
    d.service.expert_message(caller=EXP_EG2, session_id=sid, client_msg_id="y", text_said="我接手了")
    kinds = [e.type for e in d.chat.events_after(caller=ALICE, conversation_id=cid)]
    assert kinds[-4:] == ["expert_joined", "expert_left", "expert_joined", "expert_message"]
    notes = [e for e in d.service.expert_detail(caller=EXP_EG2, session_id=sid).events if e.kind == "note"]
    assert [n.text for n in notes] == ["客户比较急"]
    assert (
        next(m for m in d.service.metrics(caller=EXP_EG).by_expert if m.expert_id == EXP_EG.user_id).transferred_out
        == 1
    )


def test_expert_message_is_stored_once_per_client_msg_id(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    sid = open_session(d)
    cid = d.service.requester_view(caller=ALICE, session_id=sid).conversation_id
    d.service.accept(caller=EXP_EG, session_id=sid)
    first, dup1 = d.service.expert_message(caller=EXP_EG, session_id=sid, client_msg_id="m", text_said="看一下灯")
    again, dup2 = d.service.expert_message(caller=EXP_EG, session_id=sid, client_msg_id="m", text_said="看一下灯")
    assert (dup1, dup2) == (False, True) and first["seq"] == again["seq"]
    assert len(chat_events(d, ALICE, cid, "expert_message")) == 1


def test_metrics_waiting_handling_and_resolved_rate(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    d.presence.connect(EXP_SN.user_id)
    eg = open_session(d)
    d.clock.advance(30)
    d.service.accept(caller=EXP_EG, session_id=eg)
    d.clock.advance(300)
    d.service.resolve(caller=EXP_EG, session_id=eg, summary="对调 A/B 线")
    sn = open_session(
        d,
        slots=SlotValues(product_model="SN-VB500-Pro", symptom="没数据", site="苏州", urgency="low", firmware="v2.1.0"),
    )
    d.clock.advance(10)
    d.service.accept(caller=EXP_SN, session_id=sn)
    d.clock.advance(60)
    d.service.resolve(caller=EXP_SN, session_id=sn, summary="需要返厂", resolved=False)
    d.presence.disconnect(EXP_EG.user_id)
    open_session(d)  # nobody with EG online: a ticket
    m = d.service.metrics(caller=EXP_EG)
    lines = {x.product_line: x for x in m.by_product_line}
    assert lines["EG"].waiting.avg_s == 30 and lines["EG"].handling.avg_s == 300
    assert lines["EG"].resolved_rate == 0.5 and lines["EG"].tickets == 1
    assert lines["SN"].resolved_rate == 0.0 and lines["SN"].closed_unresolved == 1
    experts = {x.expert_id: x for x in m.by_expert}
    assert experts[EXP_EG.user_id].resolved_rate == 1.0 and experts[EXP_EG.user_id].handling.avg_s == 300
    assert experts[EXP_SN.user_id].resolved_rate == 0.0 and experts[EXP_SN.user_id].waiting.avg_s == 10
    assert experts[EXP_EG2.user_id].accepted == 0 and experts[EXP_EG2.user_id].resolved_rate is None
    assert m.overall.requests == 3
    with pytest.raises(ExpertOnlyError):
        d.service.metrics(caller=ALICE)
    [faq] = d.service.faq_candidates(caller=EXP_SN)  # only fixed problems become FAQ candidates
    assert faq.answer == "对调 A/B 线" and faq.products == ("EG-2100",) and faq.expert == "周工"


def test_sweep_tickets_the_stale_queue_and_cancels_idle_collection(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    waiting = open_session(d)
    idle_cid = d.chat.create_conversation(caller=BOB)
    idle = d.service.request(caller=BOB, conversation_id=idle_cid, text_said="找专家").session
    assert idle.state == "collecting" and idle.asking == "product_model"
    d.clock.advance(119)
    assert d.service.sweep() == 0
    d.clock.advance(2)
    assert d.service.sweep() == 1
    ticket = d.service.requester_view(caller=ALICE, session_id=waiting)
    assert ticket.state == "ticket" and ticket.ticket_reason == "timeout" and ticket.waiting_seconds == 121
    d.clock.advance(600)
    assert d.service.sweep() == 1
    assert d.service.requester_view(caller=BOB, session_id=idle.id).state == "cancelled"
    texts = [p["text"] for p in chat_events(d, BOB, idle_cid, "handoff_status")]
    assert "取消" in str(texts[-1])


def test_cancel_by_saying_so_returns_the_conversation_to_the_bot(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    sid = open_session(d)
    cid = d.service.requester_view(caller=ALICE, session_id=sid).conversation_id
    out = route_turn(d, cid, "取消", 5)
    assert out is not None and out.reply is not None and "取消" in out.reply
    assert d.service.requester_view(caller=ALICE, session_id=sid).state == "cancelled"
    assert route_turn(d, cid, "取消", 6) is None
    with pytest.raises(InvalidStateError):
        d.service.cancel(caller=ALICE, session_id=sid)


def test_packet_names_the_partner_level_in_the_channel_tree() -> None:
    network = load_network(PROJECT_ROOT / "corpus" / "rebates" / "channels.yaml")
    assert network is not None
    level = channel_level(network, "P-HZ-01")
    assert level.level == "partner" and len(level.path) == 4
    assert "全国总代" in level.path[0] and "蜂窝联盟" in level.path[2]
    assert channel_level(None, "P-X").level == "unknown"


def test_packet_shows_the_profile_by_name_and_only_documents_about_the_device() -> None:
    corpus = load_corpus(PROJECT_ROOT / "corpus")
    slots = SlotValues(product_model="EG-2100", product_line="EG", symptom="装不上")
    cited = [
        {"doc_id": "S-EG-010", "title": "网关异议", "kind": "script"},  # the script of an earlier talk
        {"doc_id": "C-044", "title": "化工储罐区", "kind": "case"},
        {"doc_id": "EG-2100#params", "title": "EG-2100 参数", "kind": "product"},
        {"doc_id": "SN-LV800#params", "title": "SN-LV800 参数", "kind": "product"},  # another product
        {"doc_id": "FAQ-PRC-003", "title": "报价折扣", "kind": "faq"},  # pricing: not about the device
        {"doc_id": "FAQ-CFG-002", "title": "EG-2100 配置", "kind": "faq"},
        {"doc_id": "FAQ-CFG-003", "title": "EG-1100 配置", "kind": "faq"},  # written for other models
        {"doc_id": "EG-2100#params", "title": "EG-2100 参数", "kind": "product"},  # once only
    ]
    packet = build_packet(
        slots=slots,
        requester="张三",
        partner_id="P-HZ-01",
        profile={"persona": "procurement", "scale": "large", "industry": "化工", "product_line": "EG", "quarter": None},
        user_messages=["EG-2100 装不上"],
        citations_newest_first=cited,
        corpus=corpus,
        network=None,
        line_name="",
    )
    assert [d.doc_id for d in packet.documents] == ["EG-2100#params", "FAQ-CFG-002"]
    assert packet.profile == {"对接人": "采购", "规模": "大型", "行业": "化工", "产品线": corpus.line_name("EG")}
    assert "procurement" not in str(packet.to_json())
    english = build_packet(
        slots=slots,
        requester="",
        partner_id="P-HZ-01",
        profile={"persona": "procurement"},
        user_messages=[],
        citations_newest_first=[],
        corpus=corpus,
        network=None,
        line_name="",
        language="en",
    )
    assert english.profile == {"contact": "procurement"}
    # The model unknown: the line's passages are the device's; without a corpus nothing is dropped.
    line_only = SlotValues(product_line="EG")
    assert about_device("EG-1100#params", corpus, line_only) and not about_device("SN-LV800#params", corpus, line_only)
    assert about_device("S-EG-010", None, slots)


class SkillEngine:
    """The dialogue engine's part, reduced: "专家" routes to the handoff skill."""

    def __init__(self, bridge: HandoffBridge) -> None:
        self.bridge = bridge

    def handle(
        self,
        *,
        text: str,
        profile: CustomerProfile,
        caller: Caller,
        history: Sequence[str] = (),
        state: DialogueState | None = None,
    ) -> Reply:
        if "专家" in text:
            r = self.bridge.request(caller=caller, text=text, profile=profile, history=history)
            return Reply(text=r.text, intent="handoff_request", confidence=1, profile=profile, handoff_offered=True)
        return Reply(text="机器人回答", intent="knowledge_qa", confidence=1, profile=profile)


def test_chat_turns_go_to_the_handoff_while_it_is_active(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    bridge = HandoffBridge(d.service)
    chat = ChatService(db=d.db, engine=SkillEngine(bridge), router=bridge)
    cid = chat.create_conversation(caller=ALICE)

    def say(text: str, n: int) -> list[str]:
        return [
            f"{e.type}:{e.payload.get('intent', '')}"
            for e in chat.post_message(caller=ALICE, conversation_id=cid, client_msg_id=f"m{n}", text=text).events
        ]

    assert say("EG-2100 报错 找专家", 1) == ["reply:handoff_request", "profile:"]
    for n, answer in enumerate(("杭州某水厂", "v3.2.1", "一般"), start=2):
        assert say(answer, n) == ["reply:handoff_request", "profile:"]
    view = d.service.active_session(caller=ALICE, conversation_id=cid)
    assert view is not None and view.state == "queued" and view.slots.firmware == "v3.2.1"
    assert say("还在吗", 5) == []  # relayed, the bot is silent
    d.service.accept(caller=EXP_EG, session_id=view.id)
    assert say("灯是红的", 6) == []
    log = d.service.expert_detail(caller=EXP_EG, session_id=view.id).events
    assert [e.text for e in log if e.kind == "message"] == ["还在吗", "灯是红的"]
    d.service.resolve(caller=EXP_EG, session_id=view.id, summary="ok")
    assert say("谢谢", 7) == ["reply:knowledge_qa", "profile:"]  # back to the bot
    profile = chat.get_profile(caller=ALICE, conversation_id=cid)
    assert profile.get("product_model") == "EG-2100"


def test_a_handoff_that_ends_between_the_message_and_its_answer_leaves_the_turn_to_the_bot(domain: Domain) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    bridge = HandoffBridge(d.service)
    chat = ChatService(db=d.db, engine=SkillEngine(bridge), router=bridge)
    cid = chat.create_conversation(caller=ALICE)
    for n, text in enumerate(("EG-2100 报错 找专家", "杭州某水厂", "v3.2.1", "一般"), start=1):
        chat.post_message(caller=ALICE, conversation_id=cid, client_msg_id=f"m{n}", text=text)
    view = d.service.active_session(caller=ALICE, conversation_id=cid)
    assert view is not None and view.state == "queued"
    accepted = chat.accept_message(caller=ALICE, conversation_id=cid, client_msg_id="m5", text="还在吗")
    assert accepted.context is not None and accepted.context.probed is not None  # read with the message
    d.service.cancel(caller=ALICE, session_id=view.id)  # ends before the turn is answered
    answers = chat.answer(caller=ALICE, conversation_id=cid, accepted=accepted)
    assert [e.type for e in answers] == ["reply", "profile"]
    assert answers[0].payload["text"] == "机器人回答"


def test_a_question_of_its_own_while_details_are_collected_is_the_bots_and_the_slot_stays_asked(
    domain: Domain,
) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    cid = d.chat.create_conversation(caller=ALICE)
    slots = SlotValues(product_model="EG-2100", product_line="EG", symptom="COM1 读不到数据")
    opened = d.service.request(caller=ALICE, conversation_id=cid, provided=slots).session
    assert opened.state == "collecting" and opened.asking == "site"
    # A question that answers no slot: the bot answers it (None), and nothing is taken as the site.
    assert route_turn(d, cid, "寄过去以后大概多长时间能修好", 1) is None
    after = d.service.requester_view(caller=ALICE, session_id=opened.id)
    assert after.state == "collecting" and after.asking == "site" and not after.slots.site
    # A question that tells a fault is an answer all the same (the symptom), and the site is taken.
    taken = route_turn(d, cid, "宁波北仑 华美塑料", 2)
    assert taken is not None and taken.reply is not None
    assert d.service.requester_view(caller=ALICE, session_id=opened.id).slots.site == "宁波北仑 华美塑料"
    assert route_turn(d, cid, "为啥还是读不到数据呢", 3) is not None
