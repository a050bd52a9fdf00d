"""Practice sessions, the domain, on the demo channel network on SQLite and PostgreSQL: the
customer rebuilt from request and seed (the same one, or refused when the corpus changed);
requests the corpus cannot serve refused with a code naming the field; answers scored,
stored once per turn (the same text again gets the stored result, another text is refused),
in order; any text scored politely; the session finished by its last answer or early;
another user's session answered like a missing one; own history with scores per
dimension; and the managers' roll-up over today's channel tree."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from assistant.dialogue.types import Caller
from assistant.rebates.errors import PartnerNotFoundError
from assistant.rebates.service import RebateService
from assistant.settings import PROJECT_ROOT
from assistant.storage.db import Database
from assistant.storage.models import User
from assistant.training.practice import (
    PracticeNode,
    PracticeRequest,
    PracticeService,
    PracticeView,
)
from assistant.training.practice_errors import (
    PracticeDataError,
    PracticeError,
    PracticeFinishedError,
    PracticeForbiddenError,
    PracticeNotFoundError,
    PracticeNothingAnsweredError,
    PracticeScenarioChangedError,
    PracticeTurnAnsweredError,
    PracticeTurnInvalidError,
    PracticeTurnNotNextError,
)
from assistant.training.practice_kit import PracticeKit, PracticeKitLoader, build_kit, roleplay_root
from assistant.training.practice_tables import PracticeAnswerRow, PracticeSessionRow
from assistant.training.roleplay import Scenario, ScenarioRequest
from tests.channel_world import open_channel_world
from tests.conftest import FIXTURE_CORPUS

CORPUS = PROJECT_ROOT / "corpus"
REBATES = CORPUS / "rebates"
TODAY = date(2026, 11, 27)
START = datetime(2026, 11, 27, 9, 0, 0)
MAX_CHARS = 4000


@pytest.fixture(scope="module")
def kit() -> PracticeKit:
    return build_kit(CORPUS, max_chars=MAX_CHARS)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)  # every call a second later: orders are strict
        return self.now


@dataclass
class Seeds:
    next: int = 7

    def __call__(self) -> int:
        return self.next


@dataclass
class World:
    db: Database
    rebates: RebateService
    practice: PracticeService
    kit: PracticeKit
    seeds: Seeds
    users: dict[str, Caller]

    def caller(self, username: str) -> Caller:
        return self.users[username]

    def scenario(self, view: PracticeView) -> Scenario:
        """The customer of a session, built here from its request and seed (the test's own
        copy: the ideal answers live in it)."""
        r = view.session.request
        return self.kit.roleplay.scenario(
            ScenarioRequest(
                r.product_id, industry=r.industry, persona=r.persona, competitor=r.competitor, seed=view.session.seed
            )
        )


@pytest.fixture
def world(database_url: str, kit: PracticeKit) -> Iterator[World]:
    channel = open_channel_world(database_url, today=TODAY)
    db, rebates, users = channel.db, channel.rebates, channel.users
    seeds = Seeds()
    practice = PracticeService(db=db, kit=lambda: kit, rebates=rebates, now=Clock(START), seed=seeds)
    yield World(db=db, rebates=rebates, practice=practice, kit=kit, seeds=seeds, users=users)
    db.dispose()


def play(world: World, username: str, request: PracticeRequest, answers: str | list[str] = "ideal") -> PracticeView:
    """A whole session: every turn answered with its ideal wording, or with ``answers``."""
    caller = world.caller(username)
    view = world.practice.start(caller, request)
    scenario = world.scenario(view)
    for turn in scenario.turns:
        text = turn.ideal if answers == "ideal" else answers[(turn.index - 1) % len(answers)]
        world.practice.answer(caller, view.session.id, turn.index, text)
    return world.practice.view(caller, view.session.id)


# --------------------------------------------------------------------------- the kit


def test_a_corpus_without_roleplay_data_plays_the_shipped_one(tmp_path: Path) -> None:
    assert roleplay_root(FIXTURE_CORPUS, CORPUS) == CORPUS
    assert roleplay_root(CORPUS, FIXTURE_CORPUS) == CORPUS
    loader = PracticeKitLoader(corpus_dir=FIXTURE_CORPUS, fallback_dir=CORPUS, max_chars=MAX_CHARS)
    first = loader.get()
    assert loader.get() is first  # built once
    assert {p.id for p in first.options.products} >= {"EG-2100", "EG-3200"}
    assert [d.id for d in first.options.dimensions] == ["coverage", "values", "objection", "accuracy"]
    broken = tmp_path / "corpus"
    (broken / "training").mkdir(parents=True)
    (broken / "training" / "roleplay.yaml").write_text("dimensions: []\n", encoding="utf-8")
    bad = PracticeKitLoader(corpus_dir=broken, fallback_dir=CORPUS, max_chars=MAX_CHARS)
    with pytest.raises(PracticeDataError) as info:
        bad.get()
    assert info.value.code == "practice_data_invalid"


# --------------------------------------------------------------------------- start


def test_the_customer_is_rebuilt_from_request_and_seed(world: World) -> None:
    sales = world.caller("hz_sales1")
    request = PracticeRequest("EG-3200", industry="化工厂", persona="tech_decision_maker", competitor="博远")
    started = world.practice.start(sales, request)
    again = world.practice.view(sales, started.session.id)
    assert again.customer == started.customer and again.intro == started.intro
    assert again.next_turn == started.next_turn and again.next_turn is not None and again.next_turn.index == 1
    assert started.customer is not None and started.customer.industry == "化工"
    scenario = world.scenario(started)
    assert started.session.turns == len(scenario.turns) and 4 <= started.session.turns <= 8
    assert started.next_turn is not None and started.next_turn.text == scenario.turns[0].text
    # What is stored is the request, the seed and the scenario's id, not the scenario.
    with world.db.read() as s:
        row = s.get(PracticeSessionRow, started.session.id)
        assert row is not None
        stored = (row.product_id, row.industry, row.persona, row.competitor, row.seed, row.scenario_id, row.turns)
    assert stored == ("EG-3200", "化工厂", "tech_decision_maker", "博远", 7, scenario.id, len(scenario.turns))
    # The same request and seed: the same customer; another seed: another scenario.
    twin = world.practice.start(world.caller("hz_sales2"), request)
    assert twin.customer == started.customer and twin.next_turn == started.next_turn
    world.seeds.next = 8
    other = world.practice.start(sales, request)
    assert world.scenario(other).id != scenario.id


@pytest.mark.parametrize(
    ("request_", "code", "field"),
    [
        (PracticeRequest("EG-9999"), "practice_unknown_product", "product_id"),
        (PracticeRequest(""), "practice_unknown_product", "product_id"),
        (PracticeRequest("   "), "practice_unknown_product", "product_id"),
        (PracticeRequest("E" * 65), "practice_unknown_product", "product_id"),
        (PracticeRequest("EG-2100", industry="航天"), "practice_unknown_industry", "industry"),
        (PracticeRequest("EG-2100", industry="化" * 65), "practice_unknown_industry", "industry"),
        (PracticeRequest("EG-2100", persona="ceo"), "practice_unknown_persona", "persona"),
        (PracticeRequest("EG-2100", persona="<script>"), "practice_unknown_persona", "persona"),
        (PracticeRequest("EG-2100", competitor="西门子"), "practice_unknown_competitor", "competitor"),
        (PracticeRequest("EG-3200", competitor="视界通"), "practice_unknown_competitor", "competitor"),  # AR's rival
    ],
)
def test_a_request_the_corpus_cannot_serve_names_its_field(
    world: World, request_: PracticeRequest, code: str, field: str
) -> None:
    with pytest.raises(PracticeError) as info:
        world.practice.start(world.caller("hz_sales1"), request_)
    assert (info.value.code, info.value.field) == (code, field)
    with world.db.read() as s:
        assert s.scalar(select(func.count()).select_from(PracticeSessionRow)) == 0


def test_empty_optional_values_are_no_choice(world: World) -> None:
    view = world.practice.start(
        world.caller("hz_sales1"), PracticeRequest(" eg-2100 ", industry="", persona="  ", competitor="")
    )
    assert view.session.product_id == "EG-2100"
    assert (view.session.request.industry, view.session.request.persona, view.session.request.competitor) == (
        None,
        None,
        None,
    )


# --------------------------------------------------------------------------- answers


def test_an_answer_is_scored_and_counts_once(world: World) -> None:
    sales = world.caller("hz_sales1")
    view = world.practice.start(sales, PracticeRequest("EG-2100"))
    scenario = world.scenario(view)
    first = world.practice.answer(sales, view.session.id, 1, scenario.turns[0].ideal)
    assert first.answer.verdict == "pass" and first.answer.overall == 1.0 and not first.replayed
    assert first.answer.customer == scenario.turns[0].text
    assert first.next_turn is not None and first.next_turn.text == scenario.turns[1].text
    assert {d.key for d in first.answer.dimensions} == {"coverage", "values", "objection", "accuracy"}
    assert first.session.answered == 1 and first.summary is None

    again = world.practice.answer(sales, view.session.id, 1, scenario.turns[0].ideal)
    assert again.replayed and again.answer == first.answer and again.next_turn == first.next_turn
    with pytest.raises(PracticeTurnAnsweredError) as info:
        world.practice.answer(sales, view.session.id, 1, "换个说法再答一次")
    assert info.value.code == "practice_turn_answered"
    with world.db.read() as s:
        assert s.scalar(select(func.count()).select_from(PracticeAnswerRow)) == 1
    stored = world.practice.view(sales, view.session.id)
    assert stored.answers == (first.answer,) and stored.next_turn == first.next_turn


def test_turns_are_answered_in_order(world: World) -> None:
    sales = world.caller("hz_sales1")
    view = world.practice.start(sales, PracticeRequest("EG-2100"))
    turns = view.session.turns
    with pytest.raises(PracticeTurnNotNextError):
        world.practice.answer(sales, view.session.id, 2, "先答第二个")
    for bad in (0, -1, turns + 1, 99):
        with pytest.raises(PracticeTurnInvalidError) as info:
            world.practice.answer(sales, view.session.id, bad, "答案")
        assert info.value.code == "practice_turn_invalid"
    with pytest.raises(PracticeTurnInvalidError):
        world.practice.answer(sales, view.session.id, True, "答案")
    assert world.practice.view(sales, view.session.id).answers == ()


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("", "empty"),
        ("  \n\t ", "empty"),
        ("你是傻逼吗", "abusive"),
        ("今天天气不错，晚上一起吃饭吧", "offtopic"),
        ("x" * 5000, "offtopic"),
        ("<script>alert(1)</script>", "offtopic"),
        ("\x00\ud800", "empty"),  # NUL and a lone surrogate: stored safely, scored
    ],
)
def test_any_text_is_scored_politely(world: World, text: str, flag: str) -> None:
    sales = world.caller("hz_sales1")
    view = world.practice.start(sales, PracticeRequest("EG-2100"))
    result = world.practice.answer(sales, view.session.id, 1, text)
    assert result.answer.verdict == "fail" and result.answer.overall == 0.0
    assert result.answer.feedback and all(line.strip() for line in result.answer.feedback)
    assert flag in result.answer.flags
    assert result.next_turn is not None and result.next_turn.index == 2
    assert len(result.answer.text) <= MAX_CHARS
    assert result.answer.cut == (len(text) > MAX_CHARS) and ("cut" in result.answer.flags) == result.answer.cut
    # The same text again (as stored, after cleaning) is the same answer.
    assert world.practice.answer(sales, view.session.id, 1, text).replayed


def test_an_over_long_answer_is_cut_where_the_chat_cuts(world: World) -> None:
    sales = world.caller("hz_sales1")
    view = world.practice.start(sales, PracticeRequest("EG-2100"))
    scenario = world.scenario(view)
    long = scenario.turns[0].ideal * 300
    result = world.practice.answer(sales, view.session.id, 1, long)
    assert {"cut", "too_long"} <= set(result.answer.flags)
    assert (len(result.answer.text), result.answer.chars) == (MAX_CHARS, len(long))
    assert result.answer.verdict == world.kit.roleplay.score(scenario, 1, long).verdict
    finished = world.practice.finish(sales, view.session.id)
    # The summary scores the stored (cut) text as the rubric scored the text sent.
    assert finished.summary == world.kit.roleplay.summarize(scenario, [world.kit.roleplay.score(scenario, 1, long)])


def test_the_last_answer_finishes_the_session_with_its_summary(world: World) -> None:
    sales = world.caller("hz_sales1")
    view = world.practice.start(sales, PracticeRequest("EG-2100", persona="procurement"))
    scenario = world.scenario(view)
    answers = ["功耗很低", *(t.ideal for t in scenario.turns[1:])]
    results = [
        world.practice.answer(sales, view.session.id, t.index, a) for t, a in zip(scenario.turns, answers, strict=True)
    ]
    last = results[-1]
    assert last.next_turn is None and last.session.finished and last.summary is not None
    assert all(r.summary is None and not r.session.finished for r in results[:-1])
    expected = world.kit.roleplay.summarize(
        scenario, [world.kit.roleplay.score(scenario, t.index, a) for t, a in zip(scenario.turns, answers, strict=True)]
    )
    assert last.summary == expected
    assert any(m.turn_index == 1 and m.citations and m.ideal for m in last.summary.missed)
    scores = last.session.scores
    assert scores is not None and scores.overall == expected.overall and scores.lesson_id == expected.lesson.lesson_id
    assert scores.weakest == expected.weakest
    assert [d.score for d in scores.dimensions] == [d.score for d in expected.dimensions]

    done = world.practice.view(sales, view.session.id)
    assert done.summary == expected and done.next_turn is None and len(done.answers) == len(scenario.turns)
    with pytest.raises(PracticeTurnAnsweredError):
        world.practice.answer(sales, view.session.id, len(scenario.turns), "再答一次")
    replay = world.practice.answer(sales, view.session.id, len(scenario.turns), answers[-1])
    assert replay.replayed and replay.summary == expected and replay.answer == last.answer


def test_a_session_can_end_early_but_not_before_its_first_answer(world: World) -> None:
    sales = world.caller("hz_sales1")
    view = world.practice.start(sales, PracticeRequest("EG-3200"))
    with pytest.raises(PracticeNothingAnsweredError) as info:
        world.practice.finish(sales, view.session.id)
    assert info.value.code == "practice_nothing_answered"
    world.practice.answer(sales, view.session.id, 1, world.scenario(view).turns[0].ideal)
    ended = world.practice.finish(sales, view.session.id)
    assert ended.session.finished and ended.summary is not None and ended.summary.turns_scored == 1
    assert ended.next_turn is None
    assert world.practice.finish(sales, view.session.id) == ended  # again: nothing changes
    with pytest.raises(PracticeFinishedError):
        world.practice.answer(sales, view.session.id, 2, "还想继续")


def test_another_users_session_is_answered_like_a_missing_one(world: World) -> None:
    owner = world.caller("hz_sales1")
    view = world.practice.start(owner, PracticeRequest("EG-2100"))
    missing = "PS-" + "0" * 32
    for caller in ("hz_sales2", "hz_manager", "n_admin"):
        for session_id in (view.session.id, missing, "nope", "PS-" + "G" * 32, ""):
            with pytest.raises(PracticeNotFoundError) as info:
                world.practice.view(world.caller(caller), session_id)
            assert info.value.code == "practice_not_found"
        with pytest.raises(PracticeNotFoundError):
            world.practice.answer(world.caller(caller), view.session.id, 1, "抢答")
        with pytest.raises(PracticeNotFoundError):
            world.practice.finish(world.caller(caller), view.session.id)
    assert world.practice.view(owner, view.session.id).answers == ()


def test_a_changed_corpus_stops_the_session_instead_of_scoring_another_customer(world: World) -> None:
    sales = world.caller("hz_sales1")
    view = world.practice.start(sales, PracticeRequest("EG-2100"))
    world.practice.answer(sales, view.session.id, 1, "断网缓存30天")
    with world.db.write() as s:
        s.execute(update(PracticeSessionRow).values(scenario_id="0" * 12))
    stale = world.practice.view(sales, view.session.id)
    assert stale.stale and stale.customer is None and stale.next_turn is None
    assert [a.text for a in stale.answers] == ["断网缓存30天"]
    with pytest.raises(PracticeScenarioChangedError) as info:
        world.practice.answer(sales, view.session.id, 2, "答案")
    assert info.value.code == "practice_scenario_changed"
    with pytest.raises(PracticeScenarioChangedError):
        world.practice.finish(sales, view.session.id)


def test_the_same_answer_sent_twice_at_once_is_stored_once(world: World) -> None:
    sales = world.caller("hz_sales1")
    view = world.practice.start(sales, PracticeRequest("EG-2100"))
    ideal = world.scenario(view).turns[0].ideal
    barrier = threading.Barrier(4)
    results: list[object] = []

    def send(text: str) -> None:
        barrier.wait()
        try:
            results.append(world.practice.answer(sales, view.session.id, 1, text))
        except PracticeError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=send, args=(t,)) for t in (ideal, ideal, ideal, "另一个答案")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with world.db.read() as s:
        rows = list(s.scalars(select(PracticeAnswerRow)))
    assert len(rows) == 1
    codes = [r for r in results if isinstance(r, str)]
    answered = [r for r in results if not isinstance(r, str)]
    if rows[0].text == ideal:
        assert codes == ["practice_turn_answered"] and len(answered) == 3
    else:
        assert codes == ["practice_turn_answered"] * 3 and len(answered) == 1


# --------------------------------------------------------------------------- history


def test_own_history_with_scores_per_dimension_over_time(world: World) -> None:
    sales = world.caller("hz_sales3")
    good = play(world, "hz_sales3", PracticeRequest("EG-2100"))
    world.seeds.next = 11
    poor = play(world, "hz_sales3", PracticeRequest("EG-3200"), answers=["不清楚", "回头问问"])
    opened = world.practice.start(sales, PracticeRequest("SN-VB500-Pro"))
    play(world, "hz_sales4", PracticeRequest("EG-2100"))  # someone else's

    history = world.practice.history(sales)
    assert [s.id for s in history.sessions] == [opened.session.id, poor.session.id, good.session.id]
    assert (history.total, history.finished) == (3, 2)
    assert history.sessions[0].status == "open" and history.sessions[0].scores is None
    assert good.session.scores is not None and poor.session.scores is not None
    assert good.session.scores.verdict == "pass" and poor.session.scores.verdict == "fail"
    assert history.overall == pytest.approx((good.session.scores.overall + poor.session.scores.overall) / 2, abs=1e-3)
    by_key = {d.key: d for d in history.dimensions}
    for key in ("coverage", "values", "objection"):
        scores = [x for x in (good.session.scores.score(key), poor.session.scores.score(key)) if x is not None]
        assert by_key[key].sessions == len(scores)
        assert by_key[key].score == pytest.approx(sum(scores) / len(scores), abs=1e-3)
    assert [s.id for s in world.practice.history(sales, limit=1).sessions] == [opened.session.id]
    empty = world.practice.history(world.caller("nb_sales1"))
    assert (empty.total, empty.finished, empty.overall, empty.sessions) == (0, 0, None, ())


# --------------------------------------------------------------------------- roll-up


def node_ids(tree: PracticeNode) -> set[str]:
    return {n.node_id for n in tree.walk()}


def test_managers_roll_up_their_subtree(world: World) -> None:
    a = play(world, "hz_sales1", PracticeRequest("EG-2100"))  # P-HZ-01
    world.seeds.next = 3
    b = play(world, "hz_sales1", PracticeRequest("EG-3200"), answers=["不知道"])  # P-HZ-01
    c = play(world, "hz_sales2", PracticeRequest("EG-2100"), answers=["断网缓存30天", "价格可以谈"])  # P-HZ-02
    play(world, "sz_sales1", PracticeRequest("EG-2100"))  # another alliance
    world.practice.start(world.caller("hz_sales4"), PracticeRequest("EG-2100"))  # open: no scores
    overall = [v.session.scores.overall for v in (a, b, c) if v.session.scores is not None]
    network = world.rebates.state.network

    hz = world.practice.team(world.caller("hz_manager"))
    assert hz.node_id == "A-HZ" and node_ids(hz) == set(network.readable("A-HZ"))
    assert hz.stats.sessions == 3 and hz.stats.overall == pytest.approx(sum(overall) / 3, abs=1e-3)
    assert hz.stats.answers == a.session.answered + b.session.answered + c.session.answered
    p1 = hz.find("P-HZ-01")
    assert p1 is not None and p1.stats.sessions == 2
    assert p1.stats.overall == pytest.approx((overall[0] + overall[1]) / 2, abs=1e-3)  # by session, not by person
    assert {m.username: m.stats.sessions for m in p1.members} == {"hz_boss1": 0, "hz_sales1": 2}
    assert hz.people == 1 + sum(ch.people for ch in hz.children)
    assert hz.stats.last_at is not None and hz.stats.weakest is not None
    coverage = next(d for d in hz.stats.dimensions if d.key == "coverage")
    assert coverage.sessions == 3

    region = world.practice.team(world.caller("ec_manager"))
    assert region.node_id == "R-EC" and region.stats.sessions == 3  # A-SZ is in another region
    assert region.find("A-HZ") == hz
    assert world.practice.team(world.caller("n_admin")).stats.sessions == 4
    boss = world.practice.team(world.caller("hz_boss1"))  # a partner's manager: its own people
    assert boss.node_id == "P-HZ-01" and boss.children == () and boss.stats.sessions == 2
    assert world.practice.team(world.caller("ec_manager"), "P-HZ-01") == boss


def test_a_node_outside_the_subtree_is_answered_like_a_missing_one(world: World) -> None:
    manager = world.caller("hz_manager")
    for node in ("P-SZ-01", "A-SZ", "R-EC", "N-001", "P-NOPE-99", "x" * 40, ""):
        with pytest.raises(PartnerNotFoundError) as info:
            world.practice.team(manager, node)
        assert info.value.code == "partner_not_found"


@pytest.mark.parametrize("username", ["hz_sales1", "ec_sales1", "n_editor"])
def test_only_managers_and_admins_see_a_team(world: World, username: str) -> None:
    caller = world.caller(username)
    for node in (None, caller.partner_id):
        with pytest.raises(PracticeForbiddenError) as info:
            world.practice.team(caller, node)
        assert info.value.code == "forbidden"


def test_the_roll_up_follows_todays_tree(world: World) -> None:
    play(world, "hz_sales1", PracticeRequest("EG-2100"))
    with world.db.write() as s:  # hz_sales1 moves to another alliance's partner
        s.execute(update(User).where(User.id == "u-hz_sales1").values(partner_id="P-SU-01"))
    assert world.practice.team(world.caller("hz_manager")).stats.sessions == 0
    moved = world.practice.team(world.caller("su_manager")).find("P-SU-01")
    assert moved is not None and moved.stats.sessions == 1
    with world.db.write() as s:  # a deactivated learner is not counted
        s.execute(update(User).where(User.id == "u-hz_sales1").values(active=False))
    assert world.practice.team(world.caller("su_manager")).stats.sessions == 0
