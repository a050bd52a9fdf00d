"""Persistence of the rebate domain: seed the database from ``corpus/rebates/`` once,
rebuild the in-memory model from it, and write single changes.

The database is the source of truth.  :class:`RebateStore` only moves rows; the
rules (who may read or change what) live in :mod:`assistant.rebates.service`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from assistant.rebates.engine import RebateEngine
from assistant.rebates.ledger import Ledger, Order, OrderStatus
from assistant.rebates.loader import RebateDemo, load_demo
from assistant.rebates.money import plain
from assistant.rebates.network import ChannelNetwork, ChannelNode, Level
from assistant.rebates.policy import PolicyVersion, RebatePolicy, parse_policy
from assistant.rebates.profiles import ClaimKind, ClaimState, PartnerProfile, SubsidyClaim
from assistant.rebates.quarter import Quarter
from assistant.rebates.tables import (
    ChannelNodeRow,
    LedgerOrderRow,
    PolicyVersionRow,
    RebatePolicyRow,
    SatisfactionRow,
    SubsidyClaimRow,
)
from assistant.storage.db import Database
from assistant.storage.models import utcnow

log = logging.getLogger(__name__)

POLICY_ROW_ID = 1


@dataclass(frozen=True, slots=True)
class RebateState:
    """One consistent, immutable snapshot of everything the engine needs.

    Changes build a new snapshot and swap it in, so a reader never sees half a change.
    """

    policy: RebatePolicy
    network: ChannelNetwork
    ledger: Ledger
    profiles: Mapping[str, PartnerProfile]
    engine: RebateEngine


def build_state(
    *,
    policy: RebatePolicy,
    network: ChannelNetwork,
    ledger: Ledger,
    profiles: Mapping[str, PartnerProfile],
    today: Callable[[], date],
) -> RebateState:
    frozen = MappingProxyType(dict(profiles))
    engine = RebateEngine(policy=policy, ledger=ledger, partners=frozen, today=today)
    return RebateState(policy=policy, network=network, ledger=ledger, profiles=frozen, engine=engine)


# --------------------------------------------------------------------------- conversions


def to_cents(amount: Decimal) -> int:
    """Exact: amounts carry at most two decimals (checked by the ledger and loaders)."""
    cents = amount.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {amount} has sub-cent digits")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def version_document(version: PolicyVersion) -> dict[str, Any]:
    """A policy version as its ``policy.yaml`` document (decimals as strings, exact)."""
    return {
        "effective_from": str(version.effective_from),
        "tier_mode": version.tier_mode.value,
        "tiers": [
            {
                "name": t.name,
                "min": plain(t.minimum),
                "max": None if t.maximum is None else plain(t.maximum),
                "rate": plain(t.rate),
            }
            for t in version.tiers
        ],
        "incremental": {
            "rate": plain(version.incremental.rate),
            "require_new_customers": version.incremental.require_new_customers,
        },
        "subsidies": {
            "new_market": {
                "rate": plain(version.new_market.rate),
                "cap_per_quarter": plain(version.new_market.cap_per_quarter),
            },
            "csat": {
                "min_score": version.csat.min_score,
                "min_improvement": version.csat.min_improvement,
                "amount": plain(version.csat.amount),
            },
        },
        "baseline": {
            "method": "average",
            "factor": plain(version.baseline.factor),
            "round_to": plain(version.baseline.round_to),
            "floor": plain(version.baseline.floor),
        },
    }


def node_row(node: ChannelNode, profile: PartnerProfile | None = None) -> ChannelNodeRow:
    return ChannelNodeRow(
        id=node.id,
        name=node.name,
        level=node.level.value,
        parent_id=node.parent_id,
        region=node.region,
        city=node.city,
        active=node.active,
        specialty=node.specialty,
        first_quarter=str(profile.first_quarter) if profile else None,
        first_baseline_cents=to_cents(profile.first_baseline) if profile else None,
    )


def order_row(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "partner_id": order.partner_id,
        "customer_id": order.customer_id,
        "new_customer": order.new_customer,
        "product_id": order.product_id,
        "amount_cents": to_cents(order.amount),
        "date": order.date,
        "status": order.status.value,
        "reverses": order.reverses,
        "industry": order.industry,
        "city": order.city,
    }


# --------------------------------------------------------------------------- store


class RebateStore:
    """Rows in, rows out.  Every method is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def is_empty(self) -> bool:
        with self.db.read() as s:
            nodes = s.scalar(select(func.count()).select_from(ChannelNodeRow)) or 0
            policies = s.scalar(select(func.count()).select_from(RebatePolicyRow)) or 0
        return nodes == 0 and policies == 0

    def seed(self, directory: Path, *, today: Callable[[], date] = date.today) -> bool:
        """Load ``directory`` (policy.yaml, channels.yaml, orders.csv) into empty tables.

        Idempotent: does nothing (returns False) when the tables already hold data, so
        changes made since (moves, new partners) survive a restart.  The files are
        validated in full before anything is written.
        """
        if not self.is_empty():
            return False
        demo = load_demo(directory, today=today)
        with self.db.write() as s:
            # Re-check inside the write transaction: another process may have seeded meanwhile.
            if s.scalar(select(func.count()).select_from(ChannelNodeRow)):
                return False
            self._write_all(s, demo)
        log.info(
            "seeded rebates from %s: %d nodes, %d orders, %d policy version(s)",
            directory,
            len(demo.network),
            len(demo.ledger),
            len(demo.policy.versions),
        )
        return True

    def _write_all(self, s: Session, demo: RebateDemo) -> None:
        policy = demo.policy
        s.add(
            RebatePolicyRow(
                id=POLICY_ROW_ID,
                name=policy.name,
                first_quarter=str(policy.first_quarter),
                last_quarter=str(policy.last_quarter),
            )
        )
        s.flush()  # no ORM relationships: flush parents before the rows that reference them
        for version in policy.versions:
            s.add(
                PolicyVersionRow(
                    effective_from=str(version.effective_from),
                    policy_id=POLICY_ROW_ID,
                    document=version_document(version),
                )
            )
        # Parents before children (the parent_id foreign key is checked per statement).
        for node in sorted(demo.network, key=lambda n: n.level.depth):
            s.add(node_row(node, demo.profiles.get(node.id)))
            s.flush()
        for profile in demo.profiles.values():
            for quarter, score in profile.satisfaction.items():
                s.add(SatisfactionRow(partner_id=profile.partner_id, quarter=str(quarter), score=score))
            for claim in profile.claims:
                s.add(
                    SubsidyClaimRow(
                        id=claim.claim_id,
                        partner_id=claim.partner_id,
                        quarter=str(claim.quarter),
                        kind=claim.kind.value,
                        state=claim.state.value,
                        industry=claim.industry,
                        city=claim.city,
                        decided_on=claim.decided_on,
                    )
                )
        s.flush()
        rows = [order_row(o) for o in demo.ledger]
        if rows:
            s.execute(insert(LedgerOrderRow), rows)

    def load(self, *, today: Callable[[], date]) -> RebateState | None:
        """Rebuild the in-memory model from the tables; None when nothing was ever loaded."""
        with self.db.read() as s:
            policy_row = s.get(RebatePolicyRow, POLICY_ROW_ID)
            if policy_row is None:
                return None
            documents = [
                dict(r.document)
                for r in s.scalars(select(PolicyVersionRow).order_by(PolicyVersionRow.effective_from)).all()
            ]
            policy = parse_policy(
                {
                    "name": policy_row.name,
                    "first_quarter": policy_row.first_quarter,
                    "last_quarter": policy_row.last_quarter,
                    "versions": documents,
                },
                source="database:rebate_policy_versions",
            )
            node_rows = s.scalars(select(ChannelNodeRow)).all()
            satisfaction: dict[str, dict[Quarter, int]] = {}
            for row in s.scalars(select(SatisfactionRow)).all():
                satisfaction.setdefault(row.partner_id, {})[Quarter.parse(row.quarter)] = row.score
            claims: dict[str, list[SubsidyClaim]] = {}
            for c in s.scalars(select(SubsidyClaimRow).order_by(SubsidyClaimRow.id)).all():
                claims.setdefault(c.partner_id, []).append(
                    SubsidyClaim(
                        claim_id=c.id,
                        partner_id=c.partner_id,
                        quarter=Quarter.parse(c.quarter),
                        kind=ClaimKind(c.kind),
                        state=ClaimState(c.state),
                        industry=c.industry,
                        city=c.city,
                        decided_on=c.decided_on,
                    )
                )
            orders = [
                Order(
                    order_id=o.order_id,
                    partner_id=o.partner_id,
                    customer_id=o.customer_id,
                    new_customer=o.new_customer,
                    product_id=o.product_id,
                    amount=from_cents(o.amount_cents),
                    date=o.date,
                    status=OrderStatus(o.status),
                    reverses=o.reverses,
                    industry=o.industry,
                    city=o.city,
                )
                for o in s.execute(select(LedgerOrderRow)).scalars()
            ]
        nodes = [
            ChannelNode(
                id=r.id,
                name=r.name,
                level=Level(r.level),
                parent_id=r.parent_id,
                region=r.region,
                city=r.city,
                active=r.active,
                specialty=r.specialty,
            )
            for r in node_rows
        ]
        profiles = {
            r.id: PartnerProfile(
                partner_id=r.id,
                first_quarter=Quarter.parse(r.first_quarter),
                first_baseline=from_cents(r.first_baseline_cents),
                satisfaction=MappingProxyType(satisfaction.get(r.id, {})),
                claims=tuple(claims.get(r.id, ())),
            )
            for r in node_rows
            if r.level == Level.PARTNER.value and r.first_quarter is not None and r.first_baseline_cents is not None
        }
        return build_state(
            policy=policy,
            network=ChannelNetwork.from_nodes(nodes),
            ledger=Ledger(orders),
            profiles=profiles,
            today=today,
        )

    # ----------------------------------------------------------------- single changes

    def insert_node(self, node: ChannelNode, profile: PartnerProfile | None) -> None:
        with self.db.write() as s:
            s.add(node_row(node, profile))

    def update_node(self, node: ChannelNode) -> None:
        """Write a node's parent and active flag (what move and deactivate change)."""
        with self.db.write() as s:
            row = s.get(ChannelNodeRow, node.id)
            if row is None:  # the in-memory model and the table disagree: reload needed
                raise LookupError(f"channel node {node.id} is not in the database")
            row.parent_id = node.parent_id
            row.active = node.active
            row.updated_at = utcnow()

    def insert_orders(self, orders: Iterable[Order]) -> int:
        rows = [order_row(o) for o in orders]
        if rows:
            with self.db.write() as s:
                s.execute(insert(LedgerOrderRow), rows)
        return len(rows)
