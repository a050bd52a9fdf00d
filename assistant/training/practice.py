"""Practice sessions (issue 15, item 1; the 70% of 70/20/10): a salesperson asks to practise
a product (and, if they like, an industry, the customer's role and a competitor); the
assistant plays a customer from the case library over 4 to 8 turns; each answer is scored
by the role-play rubric (:mod:`assistant.training.roleplay`) and stored; the session ends
with a score per dimension, the points missed with their ideal wording and citations, and
the lesson to take next.  Sessions and their scores are kept per person, so the scores can
be followed over time; managers see them rolled up over the channel tree.  Used by REST
(assistant/api/routes_practice.py); no HTTP here.

* **The customer is rebuilt, not stored.**  A session keeps the request and the seed it was
  drawn with, and the scenario's id; every later call builds the scenario again (a few
  milliseconds) and checks the id.  Another id means the corpus changed since: answering
  is refused with ``practice_scenario_changed`` rather than scored against another customer.
* **An answer counts once.**  One row per session and turn (a unique key); the same text
  sent again gets the stored result back (a retry after a lost response), another text for
  an answered turn is ``practice_turn_answered``; turns are answered in order
  (``practice_turn_not_next``), none after the session finished (``practice_finished``).
* **No text is an error.**  Empty, off-topic, abusive and over-long answers are scored by
  the rubric, low, with polite feedback.  The text is cut at the chat's message limit (as
  the rubric reads it) before it is stored.
* **The last answer finishes the session**; :meth:`PracticeService.finish` ends it early.
  The summary's scores are stored with the session (the history and the roll-up read
  them); its missed points and wording are composed again from the stored answers when
  the session is read.

Access: a session is its owner's only; another user's id is answered exactly like a
missing one (``practice_not_found``).  The roll-up follows the lessons' rule
(:meth:`assistant.training.lessons.LessonService.team`): managers and admins read their own
node and everything below it in today's channel tree, a node outside it is
``partner_not_found`` like a node that does not exist, salespeople get ``forbidden``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError

from assistant.rebates.network import ChannelNetwork
from assistant.rebates.service import Actor, RebateService
from assistant.storage.db import Database
from assistant.storage.models import User, utcnow
from assistant.training.practice_errors import (
    PracticeError,
    PracticeFinishedError,
    PracticeForbiddenError,
    PracticeNotFoundError,
    PracticeNothingAnsweredError,
    PracticeRequestError,
    PracticeScenarioChangedError,
    PracticeTurnAnsweredError,
    PracticeTurnInvalidError,
    PracticeTurnNotNextError,
    UnknownCompetitorError,
    UnknownIndustryError,
    UnknownPersonaError,
    UnknownProductError,
)
from assistant.training.practice_kit import PracticeKit
from assistant.training.practice_tables import PracticeAnswerRow, PracticeSessionRow
from assistant.training.roleplay import (
    Customer,
    CustomerTurn,
    Scenario,
    ScenarioRequest,
    ScenarioRequestError,
    SessionSummary,
    TurnScore,
)
from assistant.training.roleplay_data import DIMENSIONS, Dimension
from assistant.training.team import Learner, find_node, learners, team_scope, walk_nodes

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^PS-[0-9a-f]{32}$")
MAX_FIELD = 64  # a request value longer than this is no value of the corpus
MAX_HISTORY = 100
SEED_LIMIT = 2**31  # seeds are 0 .. 2^31 - 1 (an INTEGER column on both databases)
OPEN, FINISHED = "open", "finished"
_SCORE_COLUMNS: dict[Dimension, str] = {d: f"score_{d}" for d in DIMENSIONS}
_REQUEST_ERRORS: dict[str, type[PracticeRequestError]] = {
    "product_id": UnknownProductError,
    "industry": UnknownIndustryError,
    "persona": UnknownPersonaError,
    "competitor": UnknownCompetitorError,
}
_NUL = re.compile("\x00")

KitSource = Callable[[], PracticeKit]


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class PracticeRequest:
    """What the salesperson asked to practise: the product, and optionally the customer's
    industry, persona (``procurement``, ...) and the competitor he brings up."""

    product_id: str
    industry: str | None = None
    persona: str | None = None
    competitor: str | None = None


@dataclass(frozen=True, slots=True)
class TurnView:
    """A customer's turn as the salesperson sees it (no key points, no ideal answer)."""

    index: int
    kind: str  # question | price | competitor | delivery | integration
    text: str
    competitor: str = ""


@dataclass(frozen=True, slots=True)
class DimensionResult:
    key: Dimension
    label: str
    score: float | None  # None: did not apply
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AnswerView:
    turn_index: int
    customer: str  # what the customer said in that turn ("" when the scenario changed)
    text: str  # the answer as stored (cut at the message limit)
    chars: int  # its length as sent
    overall: float
    verdict: str
    verdict_label: str
    dimensions: tuple[DimensionResult, ...]
    feedback: tuple[str, ...]
    flags: tuple[str, ...]
    answered_at: datetime

    @property
    def cut(self) -> bool:
        return self.chars > len(self.text)


@dataclass(frozen=True, slots=True)
class SessionScores:
    """The summary's scores, stored when the session finished."""

    overall: float
    verdict: str
    verdict_label: str
    dimensions: tuple[DimensionResult, ...]
    weakest: str
    weakest_label: str
    lesson_id: str

    def score(self, key: Dimension) -> float | None:
        return next(d.score for d in self.dimensions if d.key == key)


@dataclass(frozen=True, slots=True)
class PracticeSession:
    id: str
    request: PracticeRequest
    product_id: str  # as the corpus writes it
    seed: int
    status: str  # open | finished
    turns: int
    answered: int
    created_at: datetime
    finished_at: datetime | None
    scores: SessionScores | None  # once finished

    @property
    def finished(self) -> bool:
        return self.status == FINISHED


@dataclass(frozen=True, slots=True)
class PracticeView:
    """A session as its owner sees it: the customer, the turns answered with their scores,
    the next turn (while open) and, once finished, the summary."""

    session: PracticeSession
    customer: Customer | None  # None when the scenario can no longer be built as it was
    intro: str
    answers: tuple[AnswerView, ...]
    next_turn: TurnView | None
    summary: SessionSummary | None
    stale: bool = False  # the corpus changed since: the answers and stored scores only


@dataclass(frozen=True, slots=True)
class AnswerResult:
    answer: AnswerView
    replayed: bool  # the same answer was sent before: the stored result, nothing scored again
    next_turn: TurnView | None
    summary: SessionSummary | None  # when this answer was the last
    session: PracticeSession


@dataclass(frozen=True, slots=True)
class ScoreAverage:
    key: Dimension
    label: str
    score: float | None  # mean over the finished sessions where it applied
    sessions: int  # how many of them


@dataclass(frozen=True, slots=True)
class PracticeHistory:
    """The caller's sessions, newest first (at most ``limit``), and the means of all their
    finished sessions: overall and per dimension."""

    sessions: tuple[PracticeSession, ...]
    total: int  # sessions in all
    finished: int
    overall: float | None
    dimensions: tuple[ScoreAverage, ...]


@dataclass(frozen=True, slots=True)
class PracticeStats:
    sessions: int  # finished sessions
    answers: int  # answers given (open sessions too)
    overall: float | None
    dimensions: tuple[ScoreAverage, ...]
    last_at: datetime | None  # the latest finished session

    @property
    def weakest(self) -> Dimension | None:
        scored = [d for d in self.dimensions if d.score is not None]
        return min(scored, key=lambda d: d.score or 0.0).key if scored else None


@dataclass(frozen=True, slots=True)
class PersonPractice:
    user_id: str
    username: str
    display_name: str
    role: str
    stats: PracticeStats


@dataclass(frozen=True, slots=True)
class PracticeNode:
    """A channel node with its own learners (``members``) and everything below it summed."""

    node_id: str
    name: str
    level: str
    active: bool
    people: int
    stats: PracticeStats
    members: tuple[PersonPractice, ...]
    children: tuple[PracticeNode, ...]

    def find(self, node_id: str) -> PracticeNode | None:
        return find_node(self, node_id)

    def walk(self) -> tuple[PracticeNode, ...]:
        return walk_nodes(self)


@dataclass(slots=True)
class _Sums:
    """Sums and counts of finished sessions' scores, added up the tree (means are weighted by
    sessions: a node's mean is the mean of its people's sessions, not of their means)."""

    sessions: int = 0
    answers: int = 0
    overall: float = 0.0
    overall_n: int = 0
    dims: dict[str, tuple[float, int]] = field(default_factory=dict)
    last_at: datetime | None = None

    def add(self, other: _Sums) -> None:
        self.sessions += other.sessions
        self.answers += other.answers
        self.overall += other.overall
        self.overall_n += other.overall_n
        for key, (total, n) in other.dims.items():
            was, was_n = self.dims.get(key, (0.0, 0))
            self.dims[key] = (was + total, was_n + n)
        if other.last_at is not None and (self.last_at is None or other.last_at > self.last_at):
            self.last_at = other.last_at

    def stats(self, labels: Callable[[str], str]) -> PracticeStats:
        return PracticeStats(
            sessions=self.sessions,
            answers=self.answers,
            overall=_mean(self.overall, self.overall_n),
            dimensions=tuple(
                ScoreAverage(
                    key=d,
                    label=labels(d),
                    score=_mean(*self.dims.get(d, (0.0, 0))),
                    sessions=self.dims.get(d, (0.0, 0))[1],
                )
                for d in DIMENSIONS
            ),
            last_at=self.last_at,
        )


def _mean(total: float, n: int) -> float | None:
    return round(total / n, 3) if n else None


def _clean_text(text: object) -> str:
    """The answer as the rubric and the database can take it: a string, without NUL (which
    PostgreSQL refuses in text) and lone surrogates (which no encoding takes)."""
    if not isinstance(text, str):
        return ""
    return _NUL.sub("", text).encode("utf-8", "replace").decode("utf-8")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _turn_view(turn: CustomerTurn) -> TurnView:
    return TurnView(index=turn.index, kind=turn.kind, text=turn.text, competitor=turn.competitor)


# --------------------------------------------------------------------------- service


class PracticeService:
    """Cheap to build: the database is the source of truth, ``kit`` hands out the role-play
    built once per process (:class:`~assistant.training.practice_kit.PracticeKitLoader`),
    and the channel tree is the rebate service's current snapshot (only the roll-up needs it)."""

    def __init__(
        self,
        *,
        db: Database,
        kit: KitSource,
        rebates: RebateService | None = None,
        now: Callable[[], datetime] = utcnow,
        seed: Callable[[], int] | None = None,
    ) -> None:
        self.db = db
        self._kit = kit
        self.rebates = rebates
        self._now = now
        self._seed = seed or (lambda: secrets.randbelow(SEED_LIMIT))

    @property
    def kit(self) -> PracticeKit:
        return self._kit()

    # ----------------------------------------------------------------- start

    def start(self, caller: Actor, request: PracticeRequest) -> PracticeView:
        """A new session for the caller: the customer and his first turn.  A value the corpus
        does not have is refused with a code naming the field (``practice_unknown_product``,
        ``_industry``, ``_persona``, ``_competitor``)."""
        kit = self.kit
        wanted = _checked(request)
        seed = self._seed() % SEED_LIMIT
        scenario = _build(kit, wanted, seed)
        now = self._now()
        row = PracticeSessionRow(
            id=f"PS-{secrets.token_hex(16)}",
            user_id=caller.user_id,
            product_id=wanted.product_id,
            industry=wanted.industry,
            persona=wanted.persona,
            competitor=wanted.competitor,
            seed=seed,
            scenario_id=scenario.id,
            turns=len(scenario.turns),
            status=OPEN,
            created_at=now,
            answered=0,
        )
        with self.db.write() as s:
            s.add(row)
        log.info(
            "practice started session=%s user=%s product=%s turns=%d",
            row.id,
            caller.user_id,
            scenario.product_id,
            len(scenario.turns),
        )
        return PracticeView(
            session=self._session(kit, row, scenario.product_id),
            customer=scenario.customer,
            intro=scenario.intro,
            answers=(),
            next_turn=_turn_view(scenario.turns[0]),
            summary=None,
        )

    # ----------------------------------------------------------------- read

    def view(self, caller: Actor, session_id: str) -> PracticeView:
        """The caller's session: its customer, the answers so far, the next turn or the summary."""
        kit = self.kit
        row, answers = self._load(caller, session_id)
        try:
            scenario = _rebuild(kit, row)
        except PracticeScenarioChangedError:
            return PracticeView(
                session=self._session(kit, row, row.product_id),
                customer=None,
                intro="",
                answers=tuple(self._answer_view(kit, a, None) for a in answers),
                next_turn=None,
                summary=None,
                stale=True,
            )
        return self._view(kit, row, answers, scenario)

    def _view(
        self, kit: PracticeKit, row: PracticeSessionRow, answers: Sequence[PracticeAnswerRow], scenario: Scenario
    ) -> PracticeView:
        finished = row.status == FINISHED
        summary = None
        if finished and answers:
            summary = kit.roleplay.summarize(scenario, [_rescore(kit, scenario, a) for a in answers])
        nxt = None if finished or len(answers) >= len(scenario.turns) else scenario.turn(len(answers) + 1)
        return PracticeView(
            session=self._session(kit, row, scenario.product_id),
            customer=scenario.customer,
            intro=scenario.intro,
            answers=tuple(self._answer_view(kit, a, scenario) for a in answers),
            next_turn=_turn_view(nxt) if nxt is not None else None,
            summary=summary,
        )

    def history(self, caller: Actor, *, limit: int = 20) -> PracticeHistory:
        """The caller's sessions (newest first) and the means of their finished ones."""
        kit = self.kit
        limit = max(1, min(int(limit), MAX_HISTORY))
        with self.db.read() as s:
            rows = list(
                s.scalars(
                    select(PracticeSessionRow)
                    .where(PracticeSessionRow.user_id == caller.user_id)
                    .order_by(PracticeSessionRow.created_at.desc(), PracticeSessionRow.id.desc())
                    .limit(limit)
                )
            )
            total = s.scalar(
                select(func.count(PracticeSessionRow.id)).where(PracticeSessionRow.user_id == caller.user_id)
            )
            sums = self._sums(
                s.execute(self._sums_query().where(PracticeSessionRow.user_id == caller.user_id)).all()
            ).get(caller.user_id, _Sums())
        stats = sums.stats(kit.dimension_label)
        return PracticeHistory(
            sessions=tuple(self._session(kit, r, r.product_id) for r in rows),
            total=int(total or 0),
            finished=stats.sessions,
            overall=stats.overall,
            dimensions=stats.dimensions,
        )

    # ----------------------------------------------------------------- answer

    def answer(self, caller: Actor, session_id: str, turn_index: int, text: str) -> AnswerResult:
        """Score ``text`` as the answer to turn ``turn_index`` (1-based) and store it; the last
        turn's answer finishes the session.  Never raises on the text itself."""
        if isinstance(turn_index, bool) or not isinstance(turn_index, int):
            raise PracticeTurnInvalidError(f"turn {turn_index!r}", field="turn")
        kit = self.kit
        cleaned = _clean_text(text)
        try:
            return self._answer(kit, caller, session_id, turn_index, cleaned)
        except IntegrityError:
            # The same turn was answered a moment ago (a retry racing the first try): this
            # transaction was rolled back whole; read what is stored and answer from it.
            return self._answer(kit, caller, session_id, turn_index, cleaned)

    def _answer(self, kit: PracticeKit, caller: Actor, session_id: str, turn: int, text: str) -> AnswerResult:
        row, answers = self._load(caller, session_id)
        if not 1 <= turn <= row.turns:
            raise PracticeTurnInvalidError(f"session {row.id} has turns 1..{row.turns}, not {turn}", field="turn")
        digest = _digest(text)
        done = {a.turn_index: a for a in answers}
        if turn in done:
            stored = done[turn]
            if stored.text_hash != digest:
                raise PracticeTurnAnsweredError(f"turn {turn} of {row.id} was answered with another text")
            return self._replay(kit, row, answers, stored)
        if row.status == FINISHED:
            raise PracticeFinishedError(f"session {row.id} is finished")
        if turn != len(answers) + 1:
            raise PracticeTurnNotNextError(f"session {row.id} waits for turn {len(answers) + 1}, not {turn}")
        scenario = _rebuild(kit, row)
        score = kit.roleplay.score(scenario, turn, text)
        now = self._now()
        answer_row = PracticeAnswerRow(
            session_id=row.id,
            turn_index=turn,
            text=text[: kit.max_chars],
            chars=len(text),
            text_hash=digest,
            overall=score.overall,
            verdict=score.verdict,
            evidence={d.key: list(d.evidence) for d in score.dimensions},
            feedback=list(score.feedback),
            flags=list(score.flags),
            created_at=now,
            **{_SCORE_COLUMNS[d.key]: d.score for d in score.dimensions},
        )
        last = turn == row.turns
        summary = None
        if last:
            summary = kit.roleplay.summarize(scenario, [*(_rescore(kit, scenario, a) for a in answers), score])
        with self.db.write() as s:
            fresh = s.scalars(select(PracticeSessionRow).where(PracticeSessionRow.id == row.id).with_for_update()).one()
            if fresh.status == FINISHED:
                raise PracticeFinishedError(f"session {row.id} finished meanwhile")
            s.add(answer_row)
            s.flush()  # the unique key (session, turn) refuses a second answer here
            values: dict[str, object] = {"answered": turn}
            if summary is not None:
                values |= _summary_values(summary, now)
            s.execute(
                update(PracticeSessionRow)
                .where(PracticeSessionRow.id == row.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            for key, value in values.items():
                setattr(row, key, value)
        log.info(
            "practice answer session=%s user=%s turn=%d/%d verdict=%s overall=%.3f flags=%s",
            row.id,
            caller.user_id,
            turn,
            row.turns,
            score.verdict,
            score.overall,
            ",".join(score.flags),
        )
        return AnswerResult(
            answer=self._scored_view(kit, turn, scenario, answer_row, score),
            replayed=False,
            next_turn=None if last else _turn_view(scenario.turn(turn + 1)),
            summary=summary,
            session=self._session(kit, row, scenario.product_id),
        )

    def _replay(
        self, kit: PracticeKit, row: PracticeSessionRow, answers: Sequence[PracticeAnswerRow], stored: PracticeAnswerRow
    ) -> AnswerResult:
        """The stored result of an answer sent again: what the first try returned."""
        try:
            scenario: Scenario | None = _rebuild(kit, row)
        except PracticeScenarioChangedError:
            scenario = None
        turn = stored.turn_index
        summary = None
        nxt = None
        if scenario is not None:
            if row.status == FINISHED:
                summary = kit.roleplay.summarize(scenario, [_rescore(kit, scenario, a) for a in answers])
            elif turn < row.turns:
                nxt = _turn_view(scenario.turn(turn + 1))
        return AnswerResult(
            answer=self._answer_view(kit, stored, scenario),
            replayed=True,
            next_turn=nxt,
            summary=summary,
            session=self._session(kit, row, scenario.product_id if scenario else row.product_id),
        )

    # ----------------------------------------------------------------- finish

    def finish(self, caller: Actor, session_id: str) -> PracticeView:
        """End the caller's session now, with a summary of the turns answered (at least one).
        Finishing a finished session changes nothing."""
        kit = self.kit
        row, answers = self._load(caller, session_id)
        if row.status == FINISHED:
            return self.view(caller, session_id)
        if not answers:
            raise PracticeNothingAnsweredError(f"session {row.id} has no answer yet")
        scenario = _rebuild(kit, row)
        summary = kit.roleplay.summarize(scenario, [_rescore(kit, scenario, a) for a in answers])
        values = _summary_values(summary, self._now())
        with self.db.write() as s:
            s.execute(
                update(PracticeSessionRow)
                .where(PracticeSessionRow.id == row.id, PracticeSessionRow.status == OPEN)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        log.info("practice finished early session=%s user=%s answered=%d", row.id, caller.user_id, len(answers))
        return self.view(caller, session_id)

    # ----------------------------------------------------------------- roll-up

    def team(self, caller: Actor, node_id: str | None = None) -> PracticeNode:
        """The roll-up of the caller's node (or of ``node_id`` below it): each node with its
        learners' practice and everything below it summed.  Managers and admins only."""
        scope = team_scope(self.rebates, caller, node_id, forbidden=PracticeForbiddenError)
        kit = self.kit
        ids = list(scope.node_ids)
        with self.db.read() as s:
            people = learners(s, ids)
            in_scope = select(User.id).where(User.partner_id.in_(ids))
            sums = self._sums(s.execute(self._sums_query().where(PracticeSessionRow.user_id.in_(in_scope))).all())
            answered = s.execute(
                select(PracticeSessionRow.user_id, func.count(PracticeAnswerRow.id))
                .join(PracticeAnswerRow, PracticeAnswerRow.session_id == PracticeSessionRow.id)
                .where(PracticeSessionRow.user_id.in_(in_scope))
                .group_by(PracticeSessionRow.user_id)
            ).all()
        for user_id, n in answered:
            sums.setdefault(str(user_id), _Sums()).answers = int(n)
        return self._rollup(kit, scope.network, scope.root, people, sums)[0]

    @staticmethod
    def _sums_query() -> Select[Any]:
        columns = [getattr(PracticeSessionRow, c) for c in _SCORE_COLUMNS.values()]
        return (
            select(
                PracticeSessionRow.user_id,
                func.count(PracticeSessionRow.id),
                func.sum(PracticeSessionRow.overall),
                func.count(PracticeSessionRow.overall),
                func.max(PracticeSessionRow.finished_at),
                *(func.sum(c) for c in columns),
                *(func.count(c) for c in columns),
            )
            .where(PracticeSessionRow.status == FINISHED)
            .group_by(PracticeSessionRow.user_id)
        )

    @staticmethod
    def _sums(rows: Sequence[Sequence[object]]) -> dict[str, _Sums]:
        out: dict[str, _Sums] = {}
        n_dims = len(DIMENSIONS)
        for row in rows:
            user_id, sessions, overall, overall_n, last_at = row[:5]
            totals, counts = row[5 : 5 + n_dims], row[5 + n_dims : 5 + 2 * n_dims]
            out[str(user_id)] = _Sums(
                sessions=int(sessions or 0),  # type: ignore[call-overload]
                overall=float(overall or 0.0),  # type: ignore[arg-type]
                overall_n=int(overall_n or 0),  # type: ignore[call-overload]
                dims={
                    d: (float(t or 0.0), int(n or 0))  # type: ignore[arg-type, call-overload]
                    for d, t, n in zip(DIMENSIONS, totals, counts, strict=True)
                },
                last_at=last_at if isinstance(last_at, datetime) else None,
            )
        return out

    def _rollup(
        self,
        kit: PracticeKit,
        network: ChannelNetwork,
        node_id: str,
        people: Mapping[str, Sequence[Learner]],
        sums: Mapping[str, _Sums],
    ) -> tuple[PracticeNode, _Sums]:
        """The node's roll-up, and its sums for its parent to add (means are not added)."""
        node = network.get(node_id)
        below = [self._rollup(kit, network, c.id, people, sums) for c in network.children(node_id)]
        children = tuple(child for child, _ in below)
        total = _Sums()
        members = []
        for p in people.get(node_id, ()):
            own = sums.get(p.user_id, _Sums())
            total.add(own)
            members.append(
                PersonPractice(
                    user_id=p.user_id,
                    username=p.username,
                    display_name=p.display_name,
                    role=p.role,
                    stats=own.stats(kit.dimension_label),
                )
            )
        for _, child_sums in below:
            total.add(child_sums)
        return PracticeNode(
            node_id=node.id,
            name=node.name,
            level=node.level.value,
            active=node.active,
            people=len(members) + sum(c.people for c in children),
            stats=total.stats(kit.dimension_label),
            members=tuple(members),
            children=children,
        ), total

    # ----------------------------------------------------------------- rows to values

    def _load(self, caller: Actor, session_id: str) -> tuple[PracticeSessionRow, list[PracticeAnswerRow]]:
        if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
            raise PracticeNotFoundError(f"no practice session {session_id!r}")
        with self.db.read() as s:
            row = s.get(PracticeSessionRow, session_id)
            if row is None or row.user_id != caller.user_id:
                raise PracticeNotFoundError(f"no practice session {session_id!r} of {caller.user_id}")
            answers = list(
                s.scalars(
                    select(PracticeAnswerRow)
                    .where(PracticeAnswerRow.session_id == session_id)
                    .order_by(PracticeAnswerRow.turn_index)
                )
            )
            s.expunge_all()
        return row, answers

    def _session(self, kit: PracticeKit, row: PracticeSessionRow, product_id: str) -> PracticeSession:
        scores = None
        if row.status == FINISHED and row.overall is not None and row.verdict is not None:
            weakest = row.weakest or ""
            scores = SessionScores(
                overall=row.overall,
                verdict=row.verdict,
                verdict_label=kit.verdict_label(row.verdict),
                dimensions=tuple(
                    DimensionResult(key=d, label=kit.dimension_label(d), score=getattr(row, _SCORE_COLUMNS[d]))
                    for d in DIMENSIONS
                ),
                weakest=weakest,
                weakest_label=kit.dimension_label(weakest) if weakest else "",
                lesson_id=row.lesson_id or "",
            )
        return PracticeSession(
            id=row.id,
            request=PracticeRequest(
                product_id=row.product_id, industry=row.industry, persona=row.persona, competitor=row.competitor
            ),
            product_id=product_id,
            seed=row.seed,
            status=row.status,
            turns=row.turns,
            answered=row.answered,
            created_at=row.created_at,
            finished_at=row.finished_at,
            scores=scores,
        )

    def _answer_view(self, kit: PracticeKit, a: PracticeAnswerRow, scenario: Scenario | None) -> AnswerView:
        customer = ""
        if scenario is not None:
            customer = scenario.turn(a.turn_index).text
        evidence = a.evidence if isinstance(a.evidence, dict) else {}
        return AnswerView(
            turn_index=a.turn_index,
            customer=customer,
            text=a.text,
            chars=a.chars,
            overall=a.overall,
            verdict=a.verdict,
            verdict_label=kit.verdict_label(a.verdict),
            dimensions=tuple(
                DimensionResult(
                    key=d,
                    label=kit.dimension_label(d),
                    score=getattr(a, _SCORE_COLUMNS[d]),
                    evidence=tuple(str(line) for line in evidence.get(d, ())),
                )
                for d in DIMENSIONS
            ),
            feedback=tuple(str(line) for line in a.feedback),
            flags=tuple(str(f) for f in a.flags),
            answered_at=a.created_at,
        )

    def _scored_view(
        self, kit: PracticeKit, turn: int, scenario: Scenario, row: PracticeAnswerRow, score: TurnScore
    ) -> AnswerView:
        return AnswerView(
            turn_index=turn,
            customer=scenario.turn(turn).text,
            text=row.text,
            chars=row.chars,
            overall=score.overall,
            verdict=score.verdict,
            verdict_label=kit.verdict_label(score.verdict),
            dimensions=tuple(
                DimensionResult(key=d.key, label=d.label, score=d.score, evidence=d.evidence)
                for d in sorted(score.dimensions, key=lambda d: DIMENSIONS.index(d.key))
            ),
            feedback=score.feedback,
            flags=tuple(score.flags),
            answered_at=row.created_at,
        )


# --------------------------------------------------------------------------- helpers


def _checked(request: PracticeRequest) -> PracticeRequest:
    """The request with its values stripped (empty ones dropped); a value that cannot be the
    corpus's (not text, or too long) is refused like an unknown one, naming its field."""

    def value(name: str, raw: object, *, required: bool = False) -> str | None:
        if raw is None and not required:
            return None
        if not isinstance(raw, str) or len(raw) > MAX_FIELD:
            raise _REQUEST_ERRORS[name](f"{name}: not a value of the corpus", field=name)
        stripped = raw.strip()
        if not stripped:
            if required:
                raise _REQUEST_ERRORS[name](f"{name}: required", field=name)
            return None
        return stripped

    product = value("product_id", request.product_id, required=True)
    assert product is not None
    return PracticeRequest(
        product_id=product,
        industry=value("industry", request.industry),
        persona=value("persona", request.persona),
        competitor=value("competitor", request.competitor),
    )


def _build(kit: PracticeKit, request: PracticeRequest, seed: int) -> Scenario:
    try:
        return kit.roleplay.scenario(
            ScenarioRequest(
                request.product_id,
                industry=request.industry,
                persona=request.persona,
                competitor=request.competitor,
                seed=seed,
            )
        )
    except ScenarioRequestError as exc:
        error = _REQUEST_ERRORS.get(exc.field, PracticeRequestError)
        raise error(str(exc), field=exc.field) from exc


def _rebuild(kit: PracticeKit, row: PracticeSessionRow) -> Scenario:
    """The session's customer, built again from its request and seed; the same one or
    :class:`PracticeScenarioChangedError`."""
    request = PracticeRequest(row.product_id, row.industry, row.persona, row.competitor)
    try:
        scenario = _build(kit, request, row.seed)
    except PracticeError as exc:
        raise PracticeScenarioChangedError(f"session {row.id}: {exc}") from exc
    if scenario.id != row.scenario_id or len(scenario.turns) != row.turns:
        raise PracticeScenarioChangedError(f"session {row.id}: scenario {scenario.id} is not {row.scenario_id}")
    return scenario


def _rescore(kit: PracticeKit, scenario: Scenario, a: PracticeAnswerRow) -> TurnScore:
    """A stored answer scored again (deterministic) for the summary, which needs the points
    and issues the row does not keep.  A text that was cut is given one character more, so
    the rubric cuts it at the same place and flags it as it did."""
    text = a.text + (" " if a.chars > len(a.text) else "")
    return kit.roleplay.score(scenario, a.turn_index, text)


def _summary_values(summary: SessionSummary, now: datetime) -> dict[str, object]:
    values: dict[str, object] = {
        "status": FINISHED,
        "finished_at": now,
        "overall": summary.overall,
        "verdict": summary.verdict,
        "weakest": summary.weakest,
        "lesson_id": summary.lesson.lesson_id,
    }
    for d in summary.dimensions:
        values[_SCORE_COLUMNS[d.key]] = d.score
    return values


__all__ = [
    "AnswerResult",
    "AnswerView",
    "DimensionResult",
    "PersonPractice",
    "PracticeHistory",
    "PracticeNode",
    "PracticeRequest",
    "PracticeService",
    "PracticeSession",
    "PracticeStats",
    "PracticeView",
    "ScoreAverage",
    "SessionScores",
    "TurnView",
]
