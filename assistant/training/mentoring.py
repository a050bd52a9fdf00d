"""Channel mentoring (issue 15, item 2; the 20% of 70/20/10): mentors chosen by the rebate
ranking and confirmed by an admin, and sharing sessions (经验分享会) they host, with
sign-up, notes or a recording afterwards and attendance that counts towards the learning
path (:func:`attendance_by_user`).  Used by REST (assistant/api/routes_mentoring.py); no
HTTP here.

Mentors.  The *candidates* are the active sales staff and managers (``mentors.roles`` of
corpus/training/mentoring.yaml) of the partners ranked 1..``top_partners`` nation-wide by
the rebates' composite score (:func:`~assistant.rebates.ranking.rank_partners`) in the
quarter the rules name (the previous one by default: final, so the list does not move
while a quarter runs).  Only an admin confirms a candidate or withdraws a mentor; the row
keeps who decided and when.  Only a confirmed mentor hosts a session; withdrawing one
leaves the sessions already created alone.

Sessions.  Created by a confirmed mentor (who hosts it) or by an admin (who names a
confirmed mentor as host), with a topic, a start in the future (at most ``days_ahead``
days away), a duration, a capacity and optionally a product line, all within the rules.
Any caller who can see a session may sign up until it starts, except its host; a double
sign-up changes nothing.  Sign-up is race-safe: the session row is locked (``SELECT ...
FOR UPDATE`` on PostgreSQL; SQLite's writers are serialised by ``BEGIN IMMEDIATE``), the
seats are counted inside that transaction, and ``(session, user)`` is a unique key, so
two people racing for the last seat cannot both get it and one person racing with
themselves gets one row.  After the start the host (or an admin) records notes and/or a
recording link (http or https only) and marks who of the signed-up attended.

Visibility by the channel tree.  A session is visible under a *scope node* fixed when it
is created: the host's region (the host partner's ancestor just below the national root)
when a mentor creates it, the national root (nation-wide) when an admin does.  A caller
sees it when the caller's node and the scope node lie on one line of the tree: the caller
is at or below the scope (the region's partners and their staff) or above it (regional and
national staff, who oversee it); the host always sees their own.  A partner in another
region gets ``mentoring_session_not_found`` for it, exactly as for an id that does not
exist.  Fixing the scope at creation keeps a session's audience stable when the host's
partner later moves in the tree.  The confirmed-mentor list follows the same rule with
each mentor's region as scope; the candidate list (which shows ranks) is for admins only,
since the ranking shows other partners only to those who may read them.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.rebates.errors import QuarterNotFoundError
from assistant.rebates.network import ChannelNetwork, ChannelNode
from assistant.rebates.ranking import rank_partners
from assistant.rebates.service import Actor, RebateService
from assistant.storage.db import Database
from assistant.storage.models import User, utcnow
from assistant.training.mentoring_errors import (
    HostNotMentorError,
    InvalidRecordError,
    InvalidSessionError,
    MentoringDataError,
    MentoringForbiddenError,
    MentoringHostSignUpError,
    MentoringSessionFullError,
    MentoringSessionNotFoundError,
    MentoringSessionNotStartedError,
    MentoringSessionStartedError,
    MentorNotFoundError,
    NotCandidateError,
    NotMentorError,
    NotSignedUpError,
)
from assistant.training.mentoring_tables import (
    MAX_NOTES,
    MAX_RECORDING_URL,
    MAX_TOPIC,
    MentoringSessionRow,
    MentoringSignUpRow,
    MentorRow,
)

log = logging.getLogger(__name__)

RULES_FILE = Path("training") / "mentoring.yaml"
SESSION_ID = re.compile(r"^MS-[0-9a-f]{32}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ADMIN = "admin"
MAX_CAPACITY = 10_000  # hard limits the rules file must stay within
MAX_DURATION = 24 * 60
MAX_DAYS_AHEAD = 366
MAX_PAGE = 200
MAX_OFFSET = 100_000
MAX_ATTENDANCE = MAX_CAPACITY
MAX_TOP_PARTNERS = 1000
_CHUNK = 500  # ids per IN (...) list

When = Literal["upcoming", "past"]


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class MentoringRules:
    """corpus/training/mentoring.yaml, validated."""

    top_partners: int
    ranking_quarter: Literal["previous", "current"]
    roles: frozenset[str]
    topic_min: int
    topic_max: int
    duration_min: int
    duration_max: int
    capacity_min: int
    capacity_max: int
    days_ahead: int
    notes_chars: int
    recording_url_chars: int
    page_size: int
    max_page_size: int


def rules_root(corpus_dir: Path, fallback_dir: Path) -> Path:
    """``corpus_dir`` when it has the mentoring rules, else the shipped corpus."""
    return corpus_dir if (corpus_dir / RULES_FILE).exists() else fallback_dir


def load_rules(root: Path) -> MentoringRules:
    """The mentoring rules of corpus directory ``root``, read again when the file changes."""
    path = root / RULES_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise MentoringDataError(f"{path}: cannot be read: {exc}") from exc
    return _load_cached(str(path), stamp)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, stamp: int) -> MentoringRules:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MentoringDataError(f"{path}: cannot be read: {exc}") from exc
    return parse_rules(data, source=path)


def parse_rules(data: Any, *, source: str = "mentoring.yaml") -> MentoringRules:
    """Validate the rules' mapping; every problem is listed as ``file: field: problem``."""
    problems: list[str] = []

    def section(name: str) -> dict[str, Any]:
        value = data.get(name) if isinstance(data, dict) else None
        if not isinstance(value, dict):
            problems.append(f"{name}: expected a mapping")
            return {}
        return value

    def whole(where: dict[str, Any], name: str, low: int, high: int, label: str) -> int:
        value = where.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"{label}: expected a whole number from {low} to {high}")
            return low
        return value

    def span(where: dict[str, Any], name: str, low: int, high: int, label: str) -> tuple[int, int]:
        value = where.get(name)
        if not isinstance(value, dict):
            problems.append(f"{label}: expected {{min, max}}")
            return low, low
        lo, hi = whole(value, "min", low, high, f"{label}.min"), whole(value, "max", low, high, f"{label}.max")
        if lo > hi:
            problems.append(f"{label}: min is above max")
        return lo, hi

    mentors, sessions = section("mentors"), section("sessions")
    top = whole(mentors, "top_partners", 1, MAX_TOP_PARTNERS, "mentors.top_partners")
    quarter = mentors.get("ranking_quarter", "previous")
    if quarter not in ("previous", "current"):
        problems.append("mentors.ranking_quarter: expected previous or current")
        quarter = "previous"
    roles = mentors.get("roles")
    if (
        not isinstance(roles, list)
        or not roles
        or not all(isinstance(r, str) for r in roles)
        or not set(roles) <= {"sales", "manager"}
    ):
        problems.append("mentors.roles: expected a list of sales and/or manager")
        roles = ["sales", "manager"]
    topic = span(sessions, "topic_chars", 1, MAX_TOPIC, "sessions.topic_chars")
    duration = span(sessions, "duration_minutes", 1, MAX_DURATION, "sessions.duration_minutes")
    capacity = span(sessions, "capacity", 1, MAX_CAPACITY, "sessions.capacity")
    days = whole(sessions, "days_ahead", 1, MAX_DAYS_AHEAD, "sessions.days_ahead")
    notes = whole(sessions, "notes_chars", 1, MAX_NOTES, "sessions.notes_chars")
    url = whole(sessions, "recording_url_chars", 16, MAX_RECORDING_URL, "sessions.recording_url_chars")
    page = whole(sessions, "page_size", 1, MAX_PAGE, "sessions.page_size")
    max_page = whole(sessions, "max_page_size", 1, MAX_PAGE, "sessions.max_page_size")
    if page > max_page:
        problems.append("sessions.page_size: above max_page_size")
    if problems:
        raise MentoringDataError("; ".join(f"{source}: {p}" for p in problems))
    return MentoringRules(
        top_partners=top,
        ranking_quarter=quarter,
        roles=frozenset(roles),
        topic_min=topic[0],
        topic_max=topic[1],
        duration_min=duration[0],
        duration_max=duration[1],
        capacity_min=capacity[0],
        capacity_max=capacity[1],
        days_ahead=days,
        notes_chars=notes,
        recording_url_chars=url,
        page_size=page,
        max_page_size=max_page,
    )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class MentoringAttendance:
    sessions: int  # sessions attended (marked by the host)
    minutes: int  # their durations summed


@dataclass(frozen=True, slots=True)
class MentorCandidate:
    """A person the ranking puts forward, with their partner's rank and any decision."""

    user_id: str
    username: str
    display_name: str
    role: str
    partner_id: str
    partner_name: str
    rank: int
    confirmed: bool
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class Mentor:
    user_id: str
    username: str
    display_name: str
    role: str
    partner_id: str
    partner_name: str
    confirmed: bool
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class SignUp:
    user_id: str
    display_name: str
    attended: bool


@dataclass(frozen=True, slots=True)
class SessionView:
    """A session as one caller sees it; ``signups`` is filled for its host and admins only."""

    id: str
    topic: str
    product_line: str | None
    starts_at: datetime
    duration_minutes: int
    capacity: int
    signed_up: int
    host_user_id: str
    host_name: str
    host_partner_name: str
    scope_node_id: str
    started: bool
    mine: bool  # the caller is signed up
    attended: bool  # the caller was marked present
    can_manage: bool  # the caller is the host or an admin
    notes: str | None
    recording_url: str | None
    recorded_at: datetime | None
    signups: tuple[SignUp, ...]

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.signed_up)


@dataclass(frozen=True, slots=True)
class SessionPage:
    sessions: tuple[SessionView, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class MentoringMe:
    """What the page needs to know about the caller."""

    attendance: MentoringAttendance
    upcoming_signups: int
    is_mentor: bool
    is_admin: bool


# --------------------------------------------------------------------------- helpers


def attendance_by_user(session: Session, user_ids: Sequence[str]) -> dict[str, MentoringAttendance]:
    """Sessions attended (marked by their host) and their minutes, per user; users with
    none are absent.  Reads in the caller's ``session`` (a read or a write transaction)."""
    out: dict[str, MentoringAttendance] = {}
    ids = list(dict.fromkeys(user_ids))
    for i in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(
                MentoringSignUpRow.user_id,
                func.count(MentoringSignUpRow.id),
                func.sum(MentoringSessionRow.duration_minutes),
            )
            .join(MentoringSessionRow, MentoringSessionRow.id == MentoringSignUpRow.session_id)
            .where(MentoringSignUpRow.user_id.in_(ids[i : i + _CHUNK]), MentoringSignUpRow.attended.is_(True))
            .group_by(MentoringSignUpRow.user_id)
        )
        for user_id, sessions, minutes in rows:
            out[user_id] = MentoringAttendance(sessions=int(sessions), minutes=int(minutes or 0))
    return out


def region_of(network: ChannelNetwork, node_id: str) -> ChannelNode | None:
    """The node's ancestor just below the root (itself if it is there; the root for the root)."""
    node = network.find(node_id)
    if node is None:
        return None
    chain = (node, *network.ancestors(node_id))  # from the node up to the root
    return chain[-2] if len(chain) >= 2 else chain[-1]


def top_of(network: ChannelNetwork, node_id: str) -> ChannelNode | None:
    node = network.find(node_id)
    return None if node is None else (node, *network.ancestors(node_id))[-1]


def on_line(network: ChannelNetwork, a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are one node, or one is an ancestor of the other."""
    if network.find(a) is None or network.find(b) is None:
        return False
    return a == b or network.is_ancestor(a, b) or network.is_ancestor(b, a)


def _naive_utc(value: datetime) -> datetime:
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def plain_id(value: object) -> bool:
    """A user id worth looking up: a short string without control characters (PostgreSQL
    refuses NUL in text, so such an id is answered as unknown, never as a server error)."""
    return isinstance(value, str) and 0 < len(value) <= 64 and not CONTROL.search(value)


def valid_recording_url(url: str, max_chars: int) -> bool:
    if len(url) > max_chars or CONTROL.search(url) or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


# --------------------------------------------------------------------------- service


class MentoringService:
    """Cheap to build: the database is the source of truth, the rules are the data file as
    loaded (:func:`load_rules`), the channel tree and the ranking come from the rebate
    service's current snapshot, and ``product_lines`` are the lesson catalogue's."""

    def __init__(
        self,
        *,
        db: Database,
        rules: MentoringRules,
        rebates: RebateService | None,
        product_lines: Collection[str] = (),
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.rules = rules
        self.rebates = rebates
        self.product_lines = frozenset(product_lines)
        self._now = now

    # ----------------------------------------------------------------- tree

    def _network(self) -> ChannelNetwork | None:
        if self.rebates is None or not self.rebates.available:
            return None
        return self.rebates.state.network

    def _caller_node(self, network: ChannelNetwork | None, caller: Actor) -> str | None:
        if network is None:
            return None
        node = network.find(caller.partner_id)
        return node.id if node is not None and node.active else None

    def _visible(self, network: ChannelNetwork | None, caller: Actor, row: MentoringSessionRow) -> bool:
        if row.host_user_id == caller.user_id:
            return True
        node = self._caller_node(network, caller)
        return network is not None and node is not None and on_line(network, node, row.scope_node_id)

    def _visible_scopes(self, network: ChannelNetwork | None, caller: Actor) -> list[str]:
        node = self._caller_node(network, caller)
        if network is None or node is None:
            return []
        return [node, *(a.id for a in network.ancestors(node)), *(d.id for d in network.descendants(node))]

    # ----------------------------------------------------------------- mentors

    def _ranked_partners(self) -> dict[str, int]:
        """Partner id -> rank, for the partners ranked 1..top_partners nation-wide."""
        if self.rebates is None or not self.rebates.available:
            return {}
        state = self.rebates.state
        q = self.rebates.current_quarter()
        if self.rules.ranking_quarter == "previous":
            q = q.previous()
        try:
            state.policy.version_for(q)
        except QuarterNotFoundError:
            return {}  # the policy does not cover that quarter: nobody is ranked
        ids = [
            p.id
            for root in state.network.roots()
            for p in state.network.partners_under(root.id)
            if p.id in state.profiles and state.profiles[p.id].first_quarter <= q
        ]
        ranked = rank_partners(engine=state.engine, partner_ids=ids, quarter=q)
        return {r.score.partner_id: r.rank for r in ranked if r.rank <= self.rules.top_partners}

    def candidates(self, caller: Actor) -> tuple[MentorCandidate, ...]:
        """Admins: the people the ranking puts forward, best rank first, each with any decision."""
        self._require_admin(caller)
        ranks = self._ranked_partners()
        network = self._network()
        if not ranks or network is None:
            return ()
        with self.db.read() as s:
            users = list(
                s.scalars(
                    select(User).where(
                        User.partner_id.in_(list(ranks)),
                        User.active.is_(True),
                        User.role.in_(sorted(self.rules.roles)),
                    )
                )
            )
            decided = {
                m.user_id: m for m in s.scalars(select(MentorRow).where(MentorRow.user_id.in_([u.id for u in users])))
            }
        users.sort(key=lambda u: (ranks[u.partner_id], u.partner_id, u.username))
        return tuple(
            MentorCandidate(
                user_id=u.id,
                username=u.username,
                display_name=u.display_name,
                role=u.role,
                partner_id=u.partner_id,
                partner_name=network.get(u.partner_id).name,
                rank=ranks[u.partner_id],
                confirmed=u.id in decided and decided[u.id].confirmed,
                decided_at=decided[u.id].decided_at if u.id in decided else None,
            )
            for u in users
        )

    def mentors(self, caller: Actor) -> tuple[Mentor, ...]:
        """The confirmed mentors the caller may see (admins: all, withdrawn ones too)."""
        network = self._network()
        admin = caller.role == ADMIN
        with self.db.read() as s:
            query = select(MentorRow, User).join(User, User.id == MentorRow.user_id).order_by(User.username)
            if not admin:
                query = query.where(MentorRow.confirmed.is_(True), User.active.is_(True))
            rows = [(m, u) for m, u in s.execute(query)]
        node = self._caller_node(network, caller)
        out: list[Mentor] = []
        for m, u in rows:
            region = region_of(network, u.partner_id) if network is not None else None
            if not admin and (
                network is None or node is None or region is None or not on_line(network, node, region.id)
            ):
                continue
            partner = network.find(u.partner_id) if network is not None else None
            out.append(self._mentor(m, u, partner.name if partner is not None else u.partner_id))
        return tuple(out)

    @staticmethod
    def _mentor(m: MentorRow, u: User, partner_name: str) -> Mentor:
        return Mentor(
            user_id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=u.role,
            partner_id=u.partner_id,
            partner_name=partner_name,
            confirmed=m.confirmed,
            decided_by=m.decided_by,
            decided_at=m.decided_at,
        )

    def confirm(self, caller: Actor, user_id: str) -> Mentor:
        """Admins: confirm a candidate of today's ranking as a mentor (again, after a withdrawal)."""
        self._require_admin(caller)
        ranks = self._ranked_partners()
        try:
            mentor = self._confirm(caller, user_id, ranks)
        except IntegrityError:
            # Another admin confirmed the same person a moment ago: this transaction was
            # rolled back whole, and the stored decision is the answer.
            mentor = self._confirm(caller, user_id, ranks)
        log.info("mentor confirmed user=%s by=%s", user_id, caller.user_id)
        return mentor

    def _confirm(self, caller: Actor, user_id: str, ranks: dict[str, int]) -> Mentor:
        now = self._now()
        with self.db.write() as s:
            user = s.get(User, user_id) if plain_id(user_id) else None
            if user is None or not user.active:
                raise MentorNotFoundError(f"no active user {user_id!r}")
            if user.partner_id not in ranks or user.role not in self.rules.roles:
                raise NotCandidateError(f"{user_id} ({user.role} of {user.partner_id}) is not a candidate")
            row = s.get(MentorRow, user_id, with_for_update=True)
            if row is None:
                row = MentorRow(user_id=user_id, confirmed=True, decided_by=caller.user_id, decided_at=now)
                s.add(row)
            elif not row.confirmed:
                row.confirmed, row.decided_by, row.decided_at = True, caller.user_id, now
            s.flush()
            return self._mentor(row, user, self._partner_name(user.partner_id))

    def withdraw(self, caller: Actor, user_id: str) -> Mentor:
        """Admins: withdraw a mentor (their sessions already created stay)."""
        self._require_admin(caller)
        now = self._now()
        with self.db.write() as s:
            row = s.get(MentorRow, user_id, with_for_update=True) if plain_id(user_id) else None
            user = s.get(User, user_id) if row is not None else None
            if row is None or user is None:
                raise MentorNotFoundError(f"no mentor {user_id!r}")
            if row.confirmed:
                row.confirmed, row.decided_by, row.decided_at = False, caller.user_id, now
            s.flush()
            mentor = self._mentor(row, user, self._partner_name(user.partner_id))
        log.info("mentor withdrawn user=%s by=%s", user_id, caller.user_id)
        return mentor

    def _partner_name(self, partner_id: str) -> str:
        network = self._network()
        node = network.find(partner_id) if network is not None else None
        return node.name if node is not None else partner_id

    @staticmethod
    def _is_mentor(s: Session, user_id: str) -> bool:
        row = s.get(MentorRow, user_id)
        user = s.get(User, user_id)
        return row is not None and row.confirmed and user is not None and user.active

    @staticmethod
    def _require_admin(caller: Actor) -> None:
        if caller.role != ADMIN:
            raise MentoringForbiddenError(f"role {caller.role!r} may not decide on mentors")

    # ----------------------------------------------------------------- sessions

    def create(
        self,
        caller: Actor,
        *,
        topic: str,
        starts_at: datetime,
        duration_minutes: int,
        capacity: int,
        product_line: str | None = None,
        host_user_id: str | None = None,
    ) -> SessionView:
        """A new session hosted by the caller (a confirmed mentor) or, for an admin, by the
        confirmed mentor ``host_user_id``; bounds are the rules' (``mentoring_invalid_session``)."""
        r = self.rules
        now = self._now()
        topic = topic.strip() if isinstance(topic, str) else ""
        if not r.topic_min <= len(topic) <= r.topic_max or CONTROL.search(topic):
            raise InvalidSessionError(f"topic of {len(topic)} characters", field="topic")
        try:
            start = _naive_utc(starts_at)
        except (OverflowError, ValueError) as exc:  # e.g. year 9999 at UTC-12
            raise InvalidSessionError(f"start {starts_at!r} out of range", field="starts_at") from exc
        if not now < start <= now + timedelta(days=r.days_ahead):
            raise InvalidSessionError(f"start {start} not within {r.days_ahead} days from now", field="starts_at")
        if not r.duration_min <= duration_minutes <= r.duration_max:
            raise InvalidSessionError(f"duration {duration_minutes}", field="duration_minutes")
        if not r.capacity_min <= capacity <= r.capacity_max:
            raise InvalidSessionError(f"capacity {capacity}", field="capacity")
        if product_line is not None and product_line not in self.product_lines:
            raise InvalidSessionError(f"product line {product_line!r}", field="product_line")
        admin = caller.role == ADMIN
        network = self._network()
        with self.db.write() as s:
            if admin:
                host_id = host_user_id or caller.user_id
                if not plain_id(host_id) or not self._is_mentor(s, host_id):
                    raise HostNotMentorError(f"{host_id!r} is not a confirmed mentor", field="host_user_id")
            else:
                if host_user_id not in (None, caller.user_id) or not self._is_mentor(s, caller.user_id):
                    raise NotMentorError(f"{caller.user_id} is not a confirmed mentor")
                host_id = caller.user_id
            host = s.get(User, host_id)
            assert host is not None  # a confirmed mentor is an existing user
            scope = None
            if network is not None:
                scope = top_of(network, host.partner_id) if admin else region_of(network, host.partner_id)
            if scope is None:
                raise HostNotMentorError(f"{host_id}'s node {host.partner_id} is not in the channel tree")
            row = MentoringSessionRow(
                id=f"MS-{secrets.token_hex(16)}",
                topic=topic,
                product_line=product_line,
                starts_at=start,
                duration_minutes=duration_minutes,
                capacity=capacity,
                host_user_id=host_id,
                created_by=caller.user_id,
                scope_node_id=scope.id,
                created_at=now,
            )
            s.add(row)
        log.info("mentoring session created id=%s host=%s by=%s scope=%s", row.id, host_id, caller.user_id, scope.id)
        return self.get(caller, row.id)

    def sessions(
        self, caller: Actor, *, when: When = "upcoming", offset: int = 0, limit: int | None = None
    ) -> SessionPage:
        """The sessions the caller may see, upcoming (soonest first) or past (latest first)."""
        limit = self.rules.page_size if limit is None else max(1, min(limit, self.rules.max_page_size))
        offset = max(0, min(offset, MAX_OFFSET))
        now = self._now()
        network = self._network()
        query = select(MentoringSessionRow)
        if when == "upcoming":
            query = query.where(MentoringSessionRow.starts_at > now).order_by(
                MentoringSessionRow.starts_at, MentoringSessionRow.id
            )
        else:
            query = query.where(MentoringSessionRow.starts_at <= now).order_by(
                MentoringSessionRow.starts_at.desc(), MentoringSessionRow.id
            )
        if caller.role != ADMIN:
            scopes = self._visible_scopes(network, caller)
            query = query.where(
                MentoringSessionRow.scope_node_id.in_(scopes) | (MentoringSessionRow.host_user_id == caller.user_id)
            )
        with self.db.read() as s:
            total = s.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
            rows = list(s.scalars(query.offset(offset).limit(limit)))
            views = self._views(s, caller, rows, now)
        return SessionPage(sessions=views, total=int(total), offset=offset, limit=limit)

    def get(self, caller: Actor, session_id: str) -> SessionView:
        with self.db.read() as s:
            row = self._row(s, caller, session_id)
            return self._views(s, caller, [row], self._now())[0]

    def _row(self, s: Session, caller: Actor, session_id: str, *, lock: bool = False) -> MentoringSessionRow:
        """The session, if the caller may see it; a hidden one is not found like a missing one."""
        if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
            raise MentoringSessionNotFoundError(f"no session {session_id!r}")
        query = select(MentoringSessionRow).where(MentoringSessionRow.id == session_id)
        row = s.scalars(query.with_for_update() if lock else query).first()
        if row is None or not (caller.role == ADMIN or self._visible(self._network(), caller, row)):
            raise MentoringSessionNotFoundError(f"no session {session_id!r} visible to {caller.user_id}")
        return row

    def _views(
        self, s: Session, caller: Actor, rows: Sequence[MentoringSessionRow], now: datetime
    ) -> tuple[SessionView, ...]:
        if not rows:
            return ()
        ids = [r.id for r in rows]
        counts: dict[str, int] = {
            session_id: int(n)
            for session_id, n in s.execute(
                select(MentoringSignUpRow.session_id, func.count(MentoringSignUpRow.id))
                .where(MentoringSignUpRow.session_id.in_(ids))
                .group_by(MentoringSignUpRow.session_id)
            )
        }
        mine = {
            su.session_id: su
            for su in s.scalars(
                select(MentoringSignUpRow).where(
                    MentoringSignUpRow.session_id.in_(ids), MentoringSignUpRow.user_id == caller.user_id
                )
            )
        }
        managed = [r.id for r in rows if caller.role == ADMIN or r.host_user_id == caller.user_id]
        lists: dict[str, list[SignUp]] = {}
        if managed:
            for su, name in s.execute(
                select(MentoringSignUpRow, User.display_name)
                .join(User, User.id == MentoringSignUpRow.user_id)
                .where(MentoringSignUpRow.session_id.in_(managed))
                .order_by(MentoringSignUpRow.signed_up_at, MentoringSignUpRow.id)
            ):
                lists.setdefault(su.session_id, []).append(SignUp(su.user_id, name, su.attended))
        hosts = {u.id: u for u in s.scalars(select(User).where(User.id.in_({r.host_user_id for r in rows})))}
        out = []
        for r in rows:
            host = hosts.get(r.host_user_id)
            own = mine.get(r.id)
            out.append(
                SessionView(
                    id=r.id,
                    topic=r.topic,
                    product_line=r.product_line,
                    starts_at=r.starts_at,
                    duration_minutes=r.duration_minutes,
                    capacity=r.capacity,
                    signed_up=int(counts.get(r.id, 0)),
                    host_user_id=r.host_user_id,
                    host_name=host.display_name if host is not None else r.host_user_id,
                    host_partner_name=self._partner_name(host.partner_id) if host is not None else "",
                    scope_node_id=r.scope_node_id,
                    started=r.starts_at <= now,
                    mine=own is not None,
                    attended=own is not None and own.attended,
                    can_manage=r.id in managed,
                    notes=r.notes,
                    recording_url=r.recording_url,
                    recorded_at=r.recorded_at,
                    signups=tuple(lists.get(r.id, ())),
                )
            )
        return tuple(out)

    # ----------------------------------------------------------------- sign-up

    def sign_up(self, caller: Actor, session_id: str) -> SessionView:
        """Take a seat (idempotent); ``mentoring_session_full`` when none is left."""
        try:
            self._sign_up(caller, session_id)
        except IntegrityError:
            # The same person signed up a moment ago in another request: this transaction
            # was rolled back whole, and the seat they hold is the answer.
            self._sign_up(caller, session_id)
        return self.get(caller, session_id)

    def _sign_up(self, caller: Actor, session_id: str) -> None:
        now = self._now()
        with self.db.write() as s:
            row = self._row(s, caller, session_id, lock=True)  # serialises sign-ups of one session
            if row.host_user_id == caller.user_id:
                raise MentoringHostSignUpError(f"{caller.user_id} hosts {session_id}")
            if row.starts_at <= now:
                raise MentoringSessionStartedError(f"{session_id} started at {row.starts_at}")
            held = s.scalars(
                select(MentoringSignUpRow.id).where(
                    MentoringSignUpRow.session_id == session_id, MentoringSignUpRow.user_id == caller.user_id
                )
            ).first()
            if held is not None:
                return
            taken = s.scalar(
                select(func.count(MentoringSignUpRow.id)).where(MentoringSignUpRow.session_id == session_id)
            )
            if int(taken or 0) >= row.capacity:
                raise MentoringSessionFullError(f"{session_id}: {taken} of {row.capacity} seats taken")
            s.add(MentoringSignUpRow(session_id=session_id, user_id=caller.user_id, signed_up_at=now))
            s.flush()
        log.info("mentoring sign-up session=%s user=%s", session_id, caller.user_id)

    def cancel(self, caller: Actor, session_id: str) -> SessionView:
        """Give the seat back before the start (idempotent)."""
        now = self._now()
        with self.db.write() as s:
            row = self._row(s, caller, session_id, lock=True)
            if row.starts_at <= now:
                raise MentoringSessionStartedError(f"{session_id} started at {row.starts_at}")
            s.execute(
                delete(MentoringSignUpRow).where(
                    MentoringSignUpRow.session_id == session_id, MentoringSignUpRow.user_id == caller.user_id
                )
            )
        log.info("mentoring sign-up cancelled session=%s user=%s", session_id, caller.user_id)
        return self.get(caller, session_id)

    # ----------------------------------------------------------------- after the session

    def _managed(self, s: Session, caller: Actor, session_id: str) -> MentoringSessionRow:
        row = self._row(s, caller, session_id, lock=True)
        if caller.role != ADMIN and row.host_user_id != caller.user_id:
            raise MentoringForbiddenError(f"{caller.user_id} does not host {session_id}")
        if row.starts_at > self._now():
            raise MentoringSessionNotStartedError(f"{session_id} starts at {row.starts_at}")
        return row

    def record(self, caller: Actor, session_id: str, *, notes: str | None, recording_url: str | None) -> SessionView:
        """The host (or an admin) sets the notes and the recording link once the session has
        started; an empty value clears it."""
        notes = notes.strip() if isinstance(notes, str) else None
        if notes is not None and (len(notes) > self.rules.notes_chars or "\x00" in notes):
            raise InvalidRecordError(f"notes of {len(notes)} characters", field="notes")
        url = recording_url.strip() if isinstance(recording_url, str) else None
        if url and not valid_recording_url(url, self.rules.recording_url_chars):
            raise InvalidRecordError("recording link is not an http(s) URL", field="recording_url")
        with self.db.write() as s:
            row = self._managed(s, caller, session_id)
            row.notes, row.recording_url, row.recorded_at = notes or None, url or None, self._now()
        log.info("mentoring session recorded id=%s by=%s", session_id, caller.user_id)
        return self.get(caller, session_id)

    def mark_attendance(self, caller: Actor, session_id: str, attended: Sequence[str]) -> SessionView:
        """The host (or an admin) marks who attended, among the signed-up; everyone else
        signed up is marked absent (the list replaces the last one)."""
        if len(attended) > MAX_ATTENDANCE or not all(plain_id(u) for u in attended):
            raise NotSignedUpError("attendance is a list of user ids", field="attended")
        present = set(attended)
        now = self._now()
        with self.db.write() as s:
            self._managed(s, caller, session_id)
            signed = set(
                s.scalars(select(MentoringSignUpRow.user_id).where(MentoringSignUpRow.session_id == session_id))
            )
            if not present <= signed:
                raise NotSignedUpError(f"{len(present - signed)} not signed up to {session_id}", field="attended")
            for value in (True, False):
                chosen = present if value else signed - present
                if chosen:
                    s.execute(
                        update(MentoringSignUpRow)
                        .where(
                            MentoringSignUpRow.session_id == session_id, MentoringSignUpRow.user_id.in_(sorted(chosen))
                        )
                        .values(attended=value, marked_at=now)
                        .execution_options(synchronize_session=False)
                    )
        log.info("mentoring attendance session=%s present=%d by=%s", session_id, len(present), caller.user_id)
        return self.get(caller, session_id)

    # ----------------------------------------------------------------- the caller

    def me(self, caller: Actor) -> MentoringMe:
        now = self._now()
        with self.db.read() as s:
            attendance = attendance_by_user(s, [caller.user_id]).get(caller.user_id, MentoringAttendance(0, 0))
            upcoming = s.scalar(
                select(func.count(MentoringSignUpRow.id))
                .join(MentoringSessionRow, MentoringSessionRow.id == MentoringSignUpRow.session_id)
                .where(MentoringSignUpRow.user_id == caller.user_id, MentoringSessionRow.starts_at > now)
            )
            mentor = self._is_mentor(s, caller.user_id)
        return MentoringMe(
            attendance=attendance,
            upcoming_signups=int(upcoming or 0),
            is_mentor=mentor,
            is_admin=caller.role == ADMIN,
        )


__all__ = [
    "Mentor",
    "MentorCandidate",
    "MentoringAttendance",
    "MentoringMe",
    "MentoringRules",
    "MentoringService",
    "SessionPage",
    "SessionView",
    "SignUp",
    "attendance_by_user",
    "load_rules",
    "parse_rules",
    "rules_root",
]
