"""Per-partner commercial data the engine needs besides orders.

A :class:`PartnerProfile` holds the partner's first baseline target (later ones
are derived by the policy's baseline rule), its customer-satisfaction score per
quarter and its strategic-subsidy claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from assistant.rebates.quarter import Quarter


class ClaimKind(StrEnum):
    NEW_MARKET = "new_market"  # 新市场开拓补贴
    CSAT = "csat"  # 客户满意度提升补贴


class ClaimState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class SubsidyClaim:
    """A subsidy claim for one quarter.

    A new-market claim names exactly one new ``industry`` or ``city``.  ``decided_on``
    is when it was approved or rejected: before that date the claim counts as pending.
    """

    claim_id: str
    partner_id: str
    quarter: Quarter
    kind: ClaimKind
    state: ClaimState
    industry: str | None = None
    city: str | None = None
    decided_on: date | None = None

    def state_on(self, day: date) -> ClaimState:
        """The claim's state as known on ``day``."""
        if self.state is not ClaimState.PENDING and self.decided_on is not None and day < self.decided_on:
            return ClaimState.PENDING
        return self.state

    @property
    def market(self) -> str:
        """zh-CN description of the claimed market, e.g. ``化工行业`` or ``宁波市场``."""
        if self.industry:
            return f"{self.industry}行业"
        if self.city:
            return f"{self.city}市场"
        return "满意度提升"


@dataclass(frozen=True, slots=True)
class PartnerProfile:
    """Targets, satisfaction and claims of one leaf partner."""

    partner_id: str
    first_quarter: Quarter  # the quarter of ``first_baseline`` (usually the policy's first)
    first_baseline: Decimal
    satisfaction: Mapping[Quarter, int] = field(default_factory=lambda: MappingProxyType({}))
    claims: tuple[SubsidyClaim, ...] = ()

    def claims_for(self, quarter: Quarter, kind: ClaimKind) -> tuple[SubsidyClaim, ...]:
        return tuple(c for c in self.claims if c.quarter == quarter and c.kind is kind)
