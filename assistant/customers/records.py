"""Customer records (客户): a salesperson's customers, each a company and its profile.

Transport-free, like :mod:`assistant.chat.service`.  A customer belongs to the user who
created it (``owner_user_id``) and carries the owner's node at creation (``partner_id``):

* its owner reads and writes it;
* a manager or admin reads (never writes: ``forbidden``) the customers whose node is at or
  below the manager's node in the channel tree (:meth:`ChannelNetwork.readable`);
* anyone else does not see it: its id answers exactly like an id that does not exist
  (:class:`CustomerNotFoundError`).

The profile is the ``CustomerProfile`` fields but ``customer_name`` (the record's ``name``),
validated with the chat's :func:`parse_profile_patch` field by field (so a refusal names the
field) and stored as :func:`profile_to_json` writes it (numbers as strings).  ``scale`` and
``persona`` must be one of the corpus schema's values, ``industry`` one of the vocabulary's
canonical industries when the service is given them (:func:`load_industries`).

Deleting is soft (``deleted_at``): the customer leaves lists, reads and matching, its
conversations stay readable by their owner (their ``customer_id`` is kept, for audit).

A conversation bound to a customer (:meth:`CustomerService.bind`) reads and writes the
customer's profile: the chat uses :meth:`CustomerService.read_profile` /
:meth:`CustomerService.profile_of` and :meth:`CustomerService.write_profile`.
"""

from __future__ import annotations

import builtins
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.chat.service import (
    ConversationNotFoundError,
    InvalidProfileError,
    effective_profile,
    parse_profile_patch,
    profile_from_json,
    profile_to_json,
)
from assistant.content.schema import Persona, Scale
from assistant.dialogue.types import PROFILE_KEYS, Caller
from assistant.errors import AssistantError
from assistant.rebates.network import ChannelNetwork, Role
from assistant.storage.db import Database
from assistant.storage.models import Conversation, Customer, utcnow

log = logging.getLogger(__name__)

MAX_NAME = 100
MAX_NOTES = 2000
MAX_QUERY = 100
MAX_PAGE = 100
MAX_OFFSET = 1_000_000
MAX_ID = 36
# Roles that read the customers of the users at or below their node (never write them).
READER_ROLES = frozenset({Role.MANAGER.value, Role.ADMIN.value})
PROFILE_FIELDS: tuple[str, ...] = tuple(k for k in PROFILE_KEYS if k != "customer_name")
_CHOICES: dict[str, frozenset[str]] = {
    "scale": frozenset(s.value for s in Scale),
    "persona": frozenset(p.value for p in Persona),
}


# --------------------------------------------------------------------------- errors


class CustomerError(AssistantError):
    code = "customer_error"


class CustomerNotFoundError(CustomerError):
    """Missing, deleted, or not visible to the caller: the same answer for all three."""

    code = "customer_not_found"


class CustomerInvalidError(CustomerError):
    """A refused input; ``field`` names it (``name``, ``notes``, ``profile.industry``, ``q``)."""

    code = "customer_invalid"
    public_field = True  # the field is the caller's own input: the API shows it

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class CustomerNameTakenError(CustomerError):
    code = "customer_name_taken"


class CustomerForbiddenError(CustomerError):
    """A manager writing a customer it may only read."""

    code = "forbidden"


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: str
    owner_user_id: str
    partner_id: str  # the owner's node when the customer was created
    name: str
    profile: dict[str, Any]  # CustomerProfile fields but customer_name, JSON-ready (numbers as strings)
    notes: str
    created_at: datetime
    updated_at: datetime
    conversation_count: int = 0  # the owner's conversations with events bound to it


@dataclass(frozen=True, slots=True)
class BindResult:
    conversation_id: str
    customer_id: str | None
    profile: dict[str, Any]  # the conversation's profile from now on


def load_industries(vocab_file: Path) -> frozenset[str]:
    """The canonical industry names of a vocabulary file (``corpus/vocab.yaml``); empty when
    the file is missing (then industries are bounded only by length)."""
    if not vocab_file.exists():
        return frozenset()
    data = yaml.safe_load(vocab_file.read_text(encoding="utf-8")) or {}
    rows = data.get("industries") or [] if isinstance(data, dict) else []
    return frozenset(str(r["name"]) for r in rows if isinstance(r, dict) and r.get("name"))


def _as_profile(name: str, stored: Mapping[str, Any]) -> dict[str, Any]:
    """A customer as a conversation's profile: ``customer_name`` and the stored fields (those
    out of today's bounds dropped, as :func:`profile_from_json` does)."""
    profile = profile_to_json(profile_from_json({k: v for k, v in stored.items() if k in PROFILE_FIELDS}))
    return {"customer_name": name, **profile}


def _unstorable(text: str) -> bool:
    """NUL (PostgreSQL refuses it in text) or a lone surrogate (no UTF-8 for it): a clear
    refusal here instead of a database or serialisation error later."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _profile_text(key: str) -> ColumnElement[str]:
    text: ColumnElement[str] = Customer.profile[key].as_string()
    return text


# --------------------------------------------------------------------------- service


class CustomerService:
    """Cheap to build (no state of its own): the database is the source of truth; the
    channel tree (``network``) decides what a manager reads; without one (no rebate data
    loaded) everyone reads only their own customers."""

    def __init__(
        self,
        db: Database,
        *,
        network: Callable[[], ChannelNetwork | None] | None = None,
        industries: Iterable[str] = (),
    ) -> None:
        self.db = db
        self._network = network or (lambda: None)
        self.industries = frozenset(industries)

    # ----------------------------------------------------------------- access

    def _readable_nodes(self, caller: Caller) -> tuple[str, ...]:
        if caller.role not in READER_ROLES:
            return ()
        network = self._network()
        return network.readable(caller.partner_id) if network is not None else ()

    def _visible(self, caller: Caller) -> ColumnElement[bool]:
        """The customers the caller may read (live ones only)."""
        mine = Customer.owner_user_id == caller.user_id
        nodes = self._readable_nodes(caller)
        who = or_(mine, Customer.partner_id.in_(nodes)) if nodes else mine
        return and_(Customer.deleted_at.is_(None), who)

    def _read(self, s: Session, caller: Caller, customer_id: str, *, lock: bool = False) -> Customer:
        if not isinstance(customer_id, str) or not customer_id or len(customer_id) > MAX_ID or _unstorable(customer_id):
            raise CustomerNotFoundError("customer not found")
        stmt = select(Customer).where(Customer.id == customer_id, self._visible(caller))
        row = s.scalars(stmt.with_for_update() if lock else stmt).first()
        if row is None:
            raise CustomerNotFoundError("customer not found")
        return row

    def _writable(self, s: Session, caller: Caller, customer_id: str) -> Customer:
        row = self._read(s, caller, customer_id, lock=True)
        if row.owner_user_id != caller.user_id:
            raise CustomerForbiddenError(f"{caller.user_id} may read, not change, customer {customer_id}")
        return row

    # ----------------------------------------------------------------- validation

    @staticmethod
    def _name(value: Any) -> str:
        if not isinstance(value, str):
            raise CustomerInvalidError("name", "must be a text")
        name = value.strip()
        if not name:
            raise CustomerInvalidError("name", "must not be empty")
        if len(name) > MAX_NAME:
            raise CustomerInvalidError("name", f"longer than {MAX_NAME} characters")
        if _unstorable(name):
            raise CustomerInvalidError("name", "must not contain NUL or lone surrogates")
        return name

    @staticmethod
    def _notes(value: Any) -> str:
        if not isinstance(value, str):
            raise CustomerInvalidError("notes", "must be a text")
        notes = value.strip()
        if len(notes) > MAX_NOTES:
            raise CustomerInvalidError("notes", f"longer than {MAX_NOTES} characters")
        if _unstorable(notes):
            raise CustomerInvalidError("notes", "must not contain NUL or lone surrogates")
        return notes

    def _patch(self, patch: Mapping[str, Any], name: str) -> dict[str, Any]:
        """A profile patch, checked field by field: ``{field: value or None (clear)}``.
        ``customer_name`` is the record's name: accepted only when it says the same."""
        if not isinstance(patch, Mapping):
            raise CustomerInvalidError("profile", "must be an object")
        clean: dict[str, Any] = {}
        for key, value in patch.items():
            field = f"profile.{str(key)[:40]}" if not _unstorable(str(key)) else "profile"
            if key == "customer_name":
                if value not in (None, "") and (not isinstance(value, str) or value.strip() != name):
                    raise CustomerInvalidError(field, "the customer's name is its `name`")
                continue
            if key not in PROFILE_FIELDS:
                raise CustomerInvalidError(field, "unknown profile field")
            if isinstance(value, str) and _unstorable(value):
                raise CustomerInvalidError(field, "must not contain NUL or lone surrogates")
            try:
                parsed = parse_profile_patch({key: value})[key]
            except InvalidProfileError as exc:
                raise CustomerInvalidError(field, str(exc)) from exc
            if parsed is not None:
                choices = _CHOICES.get(key) or (self.industries if key == "industry" else frozenset())
                if choices and parsed not in choices:
                    raise CustomerInvalidError(field, f"must be one of {sorted(choices)}")
            clean[key] = parsed
        return clean

    @staticmethod
    def _merged(profile: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
        base = profile_from_json({k: v for k, v in profile.items() if k in PROFILE_FIELDS})
        merged = profile_to_json(base.merged({k: v for k, v in patch.items() if v is not None}))
        merged.pop("customer_name", None)
        return {k: v for k, v in merged.items() if patch.get(k, "keep") is not None}

    def _check_name_free(self, s: Session, caller: Caller, name: str, *, but: str | None = None) -> None:
        where = [
            Customer.owner_user_id == caller.user_id,
            Customer.name_key == name.casefold(),
            Customer.deleted_at.is_(None),
        ]
        if but is not None:
            where.append(Customer.id != but)
        if s.scalar(select(func.count()).select_from(Customer).where(*where)):
            raise CustomerNameTakenError("a live customer of the caller has this name")

    # ----------------------------------------------------------------- reads

    def _record(self, row: Customer, conversations: int = 0) -> CustomerRecord:
        return CustomerRecord(
            id=row.id,
            owner_user_id=row.owner_user_id,
            partner_id=row.partner_id,
            name=row.name,
            profile=dict(row.profile or {}),
            notes=row.notes,
            created_at=row.created_at,
            updated_at=row.updated_at,
            conversation_count=conversations,
        )

    @staticmethod
    def _conversation_count() -> Any:
        return (
            select(func.count())
            .select_from(Conversation)
            .where(
                Conversation.customer_id == Customer.id,
                Conversation.user_id == Customer.owner_user_id,
                Conversation.last_seq > 0,
            )
            .correlate(Customer)
            .scalar_subquery()
        )

    def list(
        self, caller: Caller, *, q: str = "", offset: int = 0, limit: int = 20, mine: bool = False
    ) -> tuple[tuple[CustomerRecord, ...], int]:
        """A page of the customers the caller reads, newest update first (ties by id), and
        the number over all pages.  ``q`` matches name, region, industry and notes
        case-insensitively, ``%`` and ``_`` literally.  ``mine``: only the caller's own, the
        ones a conversation may be bound to (a manager reads the team's but binds only those)."""
        if not isinstance(q, str) or len(q.strip()) > MAX_QUERY or _unstorable(q):
            raise CustomerInvalidError("q", f"at most {MAX_QUERY} characters, no NUL")
        if not 1 <= limit <= MAX_PAGE:
            raise CustomerInvalidError("limit", f"must be from 1 to {MAX_PAGE}")
        if not 0 <= offset <= MAX_OFFSET:
            raise CustomerInvalidError("offset", f"must be from 0 to {MAX_OFFSET}")
        where = [self._visible(caller)]
        if mine:
            where.append(Customer.owner_user_id == caller.user_id)
        q = q.strip()
        if q:
            pattern = f"%{_escape_like(q)}%"
            where.append(
                or_(
                    Customer.name.ilike(pattern, escape="\\"),
                    Customer.notes.ilike(pattern, escape="\\"),
                    _profile_text("region").ilike(pattern, escape="\\"),
                    _profile_text("industry").ilike(pattern, escape="\\"),
                )
            )
        with self.db.read() as s:
            total = s.scalar(select(func.count()).select_from(Customer).where(*where)) or 0
            rows = s.execute(
                select(Customer, self._conversation_count().label("n"))
                .where(*where)
                .order_by(Customer.updated_at.desc(), Customer.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return tuple(self._record(row, int(n or 0)) for row, n in rows), int(total)

    def get(self, caller: Caller, customer_id: str) -> CustomerRecord:
        with self.db.read() as s:
            return self._get(s, caller, customer_id)

    def _get(self, s: Session, caller: Caller, customer_id: str) -> CustomerRecord:
        row = self._read(s, caller, customer_id)
        count: Select[Any] = select(self._conversation_count()).select_from(Customer).where(Customer.id == row.id)
        return self._record(row, int(s.scalar(count) or 0))

    def match(self, caller: Caller, words: str) -> builtins.list[CustomerRecord]:
        """The caller's own live customers a chat phrase names ("换到宁波那家" -> ``宁波``):
        whose name contains the words, or whose region equals them (case-insensitively);
        newest update first."""
        words = words.strip() if isinstance(words, str) else ""
        if not words or len(words) > MAX_QUERY or _unstorable(words):
            return []
        pattern = f"%{_escape_like(words)}%"
        with self.db.read() as s:
            rows = s.scalars(
                select(Customer)
                .where(
                    Customer.owner_user_id == caller.user_id,
                    Customer.deleted_at.is_(None),
                    or_(
                        Customer.name.ilike(pattern, escape="\\"),
                        func.lower(_profile_text("region")) == words.lower(),
                    ),
                )
                .order_by(Customer.updated_at.desc(), Customer.id.desc())
                .limit(MAX_PAGE)
            ).all()
            return [self._record(r) for r in rows]

    # ----------------------------------------------------------------- writes

    def create(
        self,
        caller: Caller,
        *,
        name: str,
        profile: Mapping[str, Any] | None = None,
        notes: str = "",
        from_conversation_id: str | None = None,
    ) -> CustomerRecord:
        """A new customer of the caller.  With ``from_conversation_id`` (one of the caller's
        conversations) it starts from the profile that conversation shows (its customer's
        when it is bound to one), the fields given here winning, and the conversation is
        bound to the new customer."""
        name = self._name(name)
        notes = self._notes(notes)
        patch = self._patch(profile or {}, name)
        customer_id = str(uuid.uuid4())
        try:
            with self.db.write() as s:
                self._check_name_free(s, caller, name)
                start: Mapping[str, Any] = {}
                conversation: Conversation | None = None
                if from_conversation_id is not None:
                    conversation = self._own_conversation(s, caller, from_conversation_id)
                    start = self._effective_profile(s, conversation)
                now = utcnow()
                profile = self._merged(start, patch)
                s.add(
                    Customer(
                        id=customer_id,
                        owner_user_id=caller.user_id,
                        partner_id=caller.partner_id,
                        name=name,
                        name_key=name.casefold(),
                        profile=profile,
                        notes=notes,
                        created_at=now,
                        updated_at=now,
                    )
                )
                s.flush()
                if conversation is not None:
                    conversation.customer_id = customer_id
                    conversation.profile = _as_profile(name, profile)
        except IntegrityError as exc:  # a concurrent create of the same name won
            raise CustomerNameTakenError("a live customer of the caller has this name") from exc
        return self.get(caller, customer_id)

    def update(
        self,
        caller: Caller,
        customer_id: str,
        *,
        name: str | None = None,
        notes: str | None = None,
        profile: Mapping[str, Any] | None = None,
    ) -> CustomerRecord:
        """Change what is given (None: unchanged); a profile field given as None or "" is cleared."""
        new_name = self._name(name) if name is not None else None
        new_notes = self._notes(notes) if notes is not None else None
        try:
            with self.db.write() as s:
                row = self._writable(s, caller, customer_id)
                if new_name is not None and new_name != row.name:
                    self._check_name_free(s, caller, new_name, but=row.id)
                    row.name, row.name_key = new_name, new_name.casefold()
                if profile is not None:
                    row.profile = self._merged(row.profile or {}, self._patch(profile, row.name))
                if new_notes is not None:
                    row.notes = new_notes
                row.updated_at = utcnow()
                s.flush()
                return self._get(s, caller, row.id)
        except IntegrityError as exc:
            raise CustomerNameTakenError("a live customer of the caller has this name") from exc

    def delete(self, caller: Caller, customer_id: str) -> None:
        """Soft: the customer leaves lists and reads; its conversations stay as they are."""
        with self.db.write() as s:
            row = self._writable(s, caller, customer_id)
            row.deleted_at = utcnow()

    def bind(self, caller: Caller, conversation_id: str, customer_id: str | None) -> BindResult:
        """Bind one of the caller's conversations to one of the caller's live customers (None:
        unbind).  From now on the conversation's profile is the customer's record: its own
        profile takes a copy (so a company named later that is not this customer is told
        apart, see ``assistant.chat.service._turn_profile``); unbound, it starts empty."""
        with self.db.write() as s:
            conversation = self._own_conversation(s, caller, conversation_id)
            if customer_id is None:  # "not about that customer": its facts leave with it
                conversation.customer_id = None
                conversation.profile = {}
                return BindResult(conversation_id, None, {})
            row = self._writable(s, caller, customer_id)
            conversation.customer_id = row.id
            conversation.profile = self.profile_of(self._record(row))
            return BindResult(conversation_id, row.id, dict(conversation.profile))

    @staticmethod
    def _effective_profile(s: Session, conversation: Conversation) -> Mapping[str, Any]:
        """The profile the conversation shows (:func:`effective_profile`: its live customer's
        when bound, unless the talk moved to another company), without the customer's name."""
        bound = s.get(Customer, conversation.customer_id) if conversation.customer_id is not None else None
        live = bound is not None and bound.deleted_at is None
        shown = effective_profile(
            conversation.profile or {}, bound.name if live and bound else None, bound.profile if bound else None
        )
        return {k: v for k, v in profile_to_json(shown).items() if k != "customer_name"}

    @staticmethod
    def _own_conversation(s: Session, caller: Caller, conversation_id: str) -> Conversation:
        if not isinstance(conversation_id, str) or len(conversation_id) > MAX_ID or _unstorable(conversation_id):
            raise ConversationNotFoundError("conversation not found")
        conversation = s.get(Conversation, conversation_id, with_for_update=True)
        if conversation is None or conversation.user_id != caller.user_id:
            raise ConversationNotFoundError("conversation not found")
        return conversation

    # ----------------------------------------------------------------- the chat's profile

    @staticmethod
    def profile_of(customer: CustomerRecord) -> dict[str, Any]:
        """The customer as a conversation's profile (``profile_to_json`` form, ``customer_name``
        = its name)."""
        return _as_profile(customer.name, customer.profile)

    def read_profile(self, customer_id: str, *, conn: Connection | None = None) -> dict[str, Any] | None:
        """A live customer's :meth:`profile_of` by id, for the chat (which checked the
        conversation's owner); None when it is missing or deleted.  ``conn``: read in the
        caller's transaction."""
        stmt = select(Customer.name, Customer.profile).where(Customer.id == customer_id, Customer.deleted_at.is_(None))
        if conn is not None:
            row = conn.execute(stmt).first()
        else:
            with self.db.read() as s:
                row = s.execute(stmt).first()
        return None if row is None else _as_profile(row.name, row.profile or {})

    def write_profile(
        self, customer_id: str, profile_json: Mapping[str, Any], *, conn: Connection | None = None
    ) -> dict[str, Any]:
        """Store a bound conversation's profile on its customer (the chat's turn, after the
        engine): the whole profile replaces the stored one.  Fields out of bounds are dropped
        and logged (as :func:`profile_from_json` does); ``customer_name`` is ignored (the
        name changes by :meth:`update` only).  Returns :meth:`read_profile`'s answer;
        :class:`CustomerNotFoundError` when the customer is missing or deleted.  ``conn``:
        write in the caller's transaction."""
        clean = profile_to_json(profile_from_json({k: v for k, v in profile_json.items() if k in PROFILE_FIELDS}))
        stmt = (
            update(Customer)
            .where(Customer.id == customer_id, Customer.deleted_at.is_(None))
            .values(profile=clean, updated_at=utcnow())
            .returning(Customer.id)
        )
        if conn is not None:
            done = conn.execute(stmt).first() is not None
            result = self.read_profile(customer_id, conn=conn) if done else None
        else:
            with self.db.write() as s:
                done = s.execute(stmt).first() is not None
                result = self.read_profile(customer_id, conn=s.connection()) if done else None
        if result is None:
            raise CustomerNotFoundError("customer not found")
        return result
