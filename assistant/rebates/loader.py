"""Load the demo channel network, orders and policy from ``corpus/rebates/``.

Files::

    corpus/rebates/
      policy.yaml          the rebate policy (see assistant.rebates.policy)
      channels.yaml        nodes (with per-partner baseline, satisfaction, claims) and users
      orders.csv           orders and returns of every leaf partner

Every problem is reported as ``file: field: problem``; all problems of a file are
collected before :class:`RebateDataError` (or PolicyInvalidError) is raised.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from assistant.rebates.engine import RebateEngine
from assistant.rebates.errors import (
    InvalidOrderError,
    InvalidQuarterError,
    NetworkChangeError,
    PartnerNotFoundError,
    RebateDataError,
)
from assistant.rebates.ledger import Ledger, Order, OrderStatus
from assistant.rebates.network import ChannelNetwork, ChannelNode, Level, Role, User
from assistant.rebates.policy import RebatePolicy, display_path, load_policy
from assistant.rebates.profiles import ClaimKind, ClaimState, PartnerProfile, SubsidyClaim
from assistant.rebates.quarter import Quarter

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "corpus" / "rebates"
NATIONAL_REGION = "全国"

NodeId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9\-]*$", max_length=32)]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Score = Annotated[int, Field(ge=0, le=100)]
Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]


def _quarter_key(value: Any) -> str:
    try:
        return str(Quarter.parse(str(value)))
    except InvalidQuarterError as exc:
        raise ValueError(str(exc)) from None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClaimModel(_Model):
    id: NodeId
    quarter: str
    kind: ClaimKind
    state: ClaimState
    industry: Text | None = None
    city: Text | None = None
    decided_on: date | None = None

    @field_validator("quarter", mode="before")
    @classmethod
    def _quarter(cls, value: Any) -> str:
        return _quarter_key(value)

    @model_validator(mode="after")
    def _consistent(self) -> ClaimModel:
        if self.kind is ClaimKind.NEW_MARKET and (self.industry is None) == (self.city is None):
            raise ValueError("a new_market claim names exactly one of industry or city")
        if self.kind is ClaimKind.CSAT and (self.industry is not None or self.city is not None):
            raise ValueError("a csat claim names no industry or city")
        if self.state is not ClaimState.PENDING and self.decided_on is None:
            raise ValueError(f"an {self.state} claim needs decided_on")
        if self.state is ClaimState.PENDING and self.decided_on is not None:
            raise ValueError("a pending claim has no decided_on")
        return self


class NodeModel(_Model):
    id: NodeId
    name: Text
    level: Level
    parent: NodeId | None = None
    region: Text
    city: Text
    active: bool = True
    specialty: Text | None = None
    baseline: dict[str, Money] | None = None  # partners only: {first quarter: target}
    satisfaction: dict[str, Score] = Field(default_factory=dict)  # partners only
    claims: list[ClaimModel] = Field(default_factory=list)  # partners only

    @field_validator("baseline", "satisfaction", mode="before")
    @classmethod
    def _quarter_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {_quarter_key(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _partner_fields(self) -> NodeModel:
        if self.level is Level.PARTNER:
            if not self.baseline or len(self.baseline) != 1:
                raise ValueError("a partner needs exactly one baseline entry: {first quarter: target}")
        elif self.baseline or self.satisfaction or self.claims or self.specialty:
            raise ValueError("only partners carry specialty, baseline, satisfaction or claims")
        return self


class UserModel(_Model):
    username: Username
    display_name: Text
    partner: NodeId
    role: Role


class ChannelsFile(_Model):
    nodes: list[NodeModel] = Field(min_length=1)
    users: list[UserModel] = Field(default_factory=list)


class OrderRow(_Model):
    order_id: NodeId
    date: date
    partner_id: NodeId
    customer_id: NodeId
    new_customer: bool
    product_id: Text
    amount: Annotated[Decimal, Field(gt=0, decimal_places=2)]
    status: OrderStatus
    reverses: NodeId | None = None
    industry: Text | None = None
    city: Text | None = None

    @field_validator("reverses", "industry", "city", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _return_has_reverses(self) -> OrderRow:
        if (self.status is OrderStatus.RETURNED) != (self.reverses is not None):
            raise ValueError("a returned row needs reverses; a booked row must not have it")
        return self


ORDER_COLUMNS = tuple(OrderRow.model_fields)


@dataclass(frozen=True, slots=True)
class ChannelData:
    network: ChannelNetwork
    profiles: MappingProxyType[str, PartnerProfile]


@dataclass(frozen=True, slots=True)
class RebateDemo:
    """Everything :func:`load_demo` builds."""

    policy: RebatePolicy
    network: ChannelNetwork
    ledger: Ledger
    profiles: MappingProxyType[str, PartnerProfile]
    engine: RebateEngine


def _format(source: str, label: str, exc: ValidationError) -> Iterator[str]:
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        yield f"{source}: {label}{'.' + loc if loc else ''}: {err['msg']}"


def _regions(vocab_file: Path) -> frozenset[str] | None:
    if not vocab_file.exists():
        return None
    raw = yaml.safe_load(vocab_file.read_text(encoding="utf-8")) or {}
    return frozenset(str(r["name"]) for r in raw.get("regions", []) if isinstance(r, dict) and "name" in r)


def load_channels(path: Path | str, *, regions: frozenset[str] | None = None) -> ChannelData:
    """Read ``channels.yaml`` into a network and partner profiles.

    ``regions`` (canonical region names, e.g. from vocab.yaml) is checked when given;
    the national node's region is ``全国``.
    """
    path = Path(path)
    source = display_path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RebateDataError([f"{source}: -: cannot read: {exc}".replace("\n", " ")]) from exc
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise RebateDataError([f"{source}: -: expected a mapping with nodes and users"])
    raw_nodes = raw.get("nodes")
    raw_users = raw.get("users", [])
    if not isinstance(raw_nodes, list) or not isinstance(raw_users, list):
        raise RebateDataError([f"{source}: -: nodes and users must be lists"])
    extra_keys = set(raw) - {"nodes", "users"}
    if extra_keys:
        problems.append(f"{source}: -: unknown keys {sorted(extra_keys)}")

    nodes: list[NodeModel] = []
    for index, item in enumerate(raw_nodes):
        label = f"nodes[{item.get('id') if isinstance(item, dict) and item.get('id') else index}]"
        try:
            nodes.append(NodeModel.model_validate(item))
        except ValidationError as exc:
            problems.extend(_format(source, label, exc))
    users: list[UserModel] = []
    for index, item in enumerate(raw_users):
        label = f"users[{item.get('username') if isinstance(item, dict) and item.get('username') else index}]"
        try:
            users.append(UserModel.model_validate(item))
        except ValidationError as exc:
            problems.extend(_format(source, label, exc))

    seen: set[str] = set()
    claim_ids: set[str] = set()
    profiles: dict[str, PartnerProfile] = {}
    for node in nodes:
        label = f"nodes[{node.id}]"
        if node.id in seen:
            problems.append(f"{source}: {label}: duplicate id")
        seen.add(node.id)
        expected = {NATIONAL_REGION} if node.level is Level.NATIONAL else regions
        if expected is not None and node.region not in expected:
            problems.append(f"{source}: {label}.region: {node.region!r} is not a known region")
        if node.level is not Level.PARTNER or node.baseline is None:
            continue
        ((first_label, first_baseline),) = node.baseline.items()
        claims = []
        for claim in node.claims:
            if claim.id in claim_ids:
                problems.append(f"{source}: {label}.claims: duplicate claim id {claim.id}")
            claim_ids.add(claim.id)
            claims.append(
                SubsidyClaim(
                    claim_id=claim.id,
                    partner_id=node.id,
                    quarter=Quarter.parse(claim.quarter),
                    kind=claim.kind,
                    state=claim.state,
                    industry=claim.industry,
                    city=claim.city,
                    decided_on=claim.decided_on,
                )
            )
        profiles[node.id] = PartnerProfile(
            partner_id=node.id,
            first_quarter=Quarter.parse(first_label),
            first_baseline=first_baseline,
            satisfaction=MappingProxyType({Quarter.parse(k): v for k, v in node.satisfaction.items()}),
            claims=tuple(claims),
        )

    network: ChannelNetwork | None = None
    if not problems:
        try:
            network = ChannelNetwork(
                ChannelNode(
                    id=n.id,
                    name=n.name,
                    level=n.level,
                    parent_id=n.parent,
                    region=n.region,
                    city=n.city,
                    active=True,
                    specialty=n.specialty,
                )
                for n in nodes
            )
            for user in users:
                network.add_user(
                    User(
                        username=user.username,
                        display_name=user.display_name,
                        partner_id=user.partner,
                        role=user.role,
                    )
                )
            for n in sorted(nodes, key=lambda n: -n.level.depth):  # leaves first
                if not n.active:
                    network.deactivate(n.id)
        except (NetworkChangeError, PartnerNotFoundError) as exc:
            problems.append(f"{source}: -: {exc}")
    if problems or network is None:
        raise RebateDataError(problems)
    return ChannelData(network=network, profiles=MappingProxyType(profiles))


def load_orders(path: Path | str) -> Ledger:
    """Read the order CSV (header: ORDER_COLUMNS) into a validated :class:`Ledger`."""
    path = Path(path)
    source = display_path(path)
    problems: list[str] = []
    orders: list[Order] = []
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = set(ORDER_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise RebateDataError([f"{source}: header: missing columns {sorted(missing)}"])
            for row in reader:
                where = f"line {reader.line_num}"
                try:
                    parsed = OrderRow.model_validate({k: row.get(k) for k in ORDER_COLUMNS})
                except ValidationError as exc:
                    problems.extend(_format(source, where, exc))
                    continue
                orders.append(Order(**parsed.model_dump()))
    except OSError as exc:
        raise RebateDataError([f"{source}: -: cannot read: {exc}"]) from exc
    if problems:
        raise RebateDataError(problems)
    try:
        return Ledger(orders)
    except InvalidOrderError as exc:
        raise RebateDataError([f"{source}: {exc}"]) from exc


def load_demo(corpus_dir: Path | str = DEFAULT_DIR, *, today: Callable[[], date] | None = None) -> RebateDemo:
    """Build policy, network, ledger, profiles and engine from ``corpus/rebates/``."""
    root = Path(corpus_dir)
    policy = load_policy(root / "policy.yaml")
    channels = load_channels(root / "channels.yaml", regions=_regions(root.parent / "vocab.yaml"))
    orders_file = root / "orders.csv"
    ledger = load_orders(orders_file)
    problems = []
    for partner_id in sorted(ledger.partners()):
        node = channels.network.find(partner_id)
        if node is None or node.level is not Level.PARTNER:
            problems.append(f"{display_path(orders_file)}: partner_id: {partner_id!r} is not a leaf partner")
    if problems:
        raise RebateDataError(problems)
    engine = RebateEngine(
        policy=policy,
        ledger=ledger,
        partners=channels.profiles,
        today=today or date.today,
    )
    return RebateDemo(policy=policy, network=channels.network, ledger=ledger, profiles=channels.profiles, engine=engine)
