"""The rebate policy: domain values, the ``policy.yaml`` file format and its loader.

``policy.yaml`` (see ``docs/rebate-policy.md`` for the rules in words)::

    name: ...
    first_quarter: 2026Q1          # the policy covers first_quarter..last_quarter
    last_quarter: 2026Q4
    versions:                      # ascending; the first starts at first_quarter
      - effective_from: 2026Q1     # applies until the next version's effective_from
        tier_mode: whole_volume    # or marginal
        tiers:                     # min inclusive, max exclusive; last max is null
          - {name: T1, min: 0, max: 500000, rate: 0.02}
          ...
        incremental: {rate: 0.03, require_new_customers: true}
        subsidies:
          new_market: {rate: 0.02, cap_per_quarter: 50000}
          csat: {min_score: 85, min_improvement: 5, amount: 20000}
        baseline: {method: average, factor: 1.05, round_to: 10000, floor: 300000}

Problems are reported as ``file: field: problem`` (e.g.
``corpus/rebates/policy.yaml: 2026Q1.tiers[2]: gap between 1500000 and 1600000``);
the loader collects all of them before raising :class:`PolicyInvalidError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.rebates.errors import InvalidQuarterError, PolicyInvalidError, QuarterNotFoundError
from assistant.rebates.money import plain, round_cents, round_to
from assistant.rebates.quarter import Quarter, quarter_range

# --------------------------------------------------------------------------- domain values


class TierMode(StrEnum):
    """How the base rate applies: to the whole volume (全额累进) or band by band (超额累进)."""

    WHOLE_VOLUME = "whole_volume"
    MARGINAL = "marginal"


@dataclass(frozen=True, slots=True)
class Tier:
    """A band of quarterly net sales: ``minimum <= sales < maximum`` (``maximum`` None = open)."""

    name: str
    minimum: Decimal
    maximum: Decimal | None
    rate: Decimal

    def contains(self, amount: Decimal) -> bool:
        return amount >= self.minimum and (self.maximum is None or amount < self.maximum)


@dataclass(frozen=True, slots=True)
class IncrementalRule:
    """增量激励: ``rate`` on the increment over the baseline.

    With ``require_new_customers`` the eligible increment is
    ``min(net - baseline, new-customer net sales)``, never below 0.
    """

    rate: Decimal
    require_new_customers: bool = True

    def apply(self, net: Decimal, baseline: Decimal, new_customer_net: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        """(increment over the baseline, the part of it that counts, the incentive) for a
        quarter's figures; the statement and the chat's 'rule applied to my figures' share it."""
        increment = net - baseline
        if increment <= 0 or (self.require_new_customers and new_customer_net <= 0):
            eligible = Decimal(0)
        elif self.require_new_customers:
            eligible = min(increment, new_customer_net)
        else:
            eligible = increment
        return increment, eligible, round_cents(eligible * self.rate)


@dataclass(frozen=True, slots=True)
class NewMarketRule:
    """新市场开拓补贴: ``rate`` of new-customer sales in the claimed market, capped per quarter."""

    rate: Decimal
    cap_per_quarter: Decimal


@dataclass(frozen=True, slots=True)
class CsatRule:
    """客户满意度提升补贴: ``amount`` when score >= min_score and improved by >= min_improvement."""

    min_score: int
    min_improvement: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BaselineRule:
    """基线调整: ``round((prev baseline + prev actual) / 2 * factor, round_to)``, at least ``floor``."""

    factor: Decimal
    round_to: Decimal
    floor: Decimal

    def apply(self, previous_baseline: Decimal, previous_actual: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        """(unrounded, rounded, the baseline): the rule applied to last quarter's figures."""
        unrounded = (previous_baseline + previous_actual) / 2 * self.factor
        rounded = round_to(unrounded, self.round_to)
        return unrounded, rounded, max(rounded, self.floor)


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """The rules in force from ``effective_from`` until the next version."""

    effective_from: Quarter
    tier_mode: TierMode
    tiers: tuple[Tier, ...]
    incremental: IncrementalRule
    new_market: NewMarketRule
    csat: CsatRule
    baseline: BaselineRule

    def __post_init__(self) -> None:
        problems = list(tier_problems(self.tiers))
        if problems:
            raise PolicyInvalidError([f"{self.effective_from}.{p}" for p in problems])

    def tier_index(self, amount: Decimal) -> int:
        """Index of the tier reached by ``amount``; negative net sales sit in the first tier."""
        for index in range(len(self.tiers) - 1, -1, -1):
            if amount >= self.tiers[index].minimum:
                return index
        return 0

    def tier_for(self, amount: Decimal) -> Tier:
        return self.tiers[self.tier_index(amount)]


@dataclass(frozen=True, slots=True)
class RebatePolicy:
    """All policy versions, covering ``first_quarter``..``last_quarter``."""

    name: str
    first_quarter: Quarter
    last_quarter: Quarter
    versions: tuple[PolicyVersion, ...]

    def __post_init__(self) -> None:
        if not self.versions or self.versions[0].effective_from != self.first_quarter:
            raise PolicyInvalidError([f"versions: the first version must take effect in {self.first_quarter}"])
        starts = [v.effective_from for v in self.versions]
        if starts != sorted(set(starts)):
            raise PolicyInvalidError(["versions: effective_from must be strictly ascending"])
        if starts[-1] > self.last_quarter:
            raise PolicyInvalidError([f"versions: {starts[-1]} is after last_quarter {self.last_quarter}"])

    @property
    def quarters(self) -> tuple[Quarter, ...]:
        return quarter_range(self.first_quarter, self.last_quarter)

    def covers(self, quarter: Quarter) -> bool:
        return self.first_quarter <= quarter <= self.last_quarter

    def version_for(self, quarter: str | Quarter) -> PolicyVersion:
        """The version in force in ``quarter``; raise QuarterNotFoundError outside the policy's range."""
        q = Quarter.parse(quarter)
        if not self.covers(q):
            raise QuarterNotFoundError(
                f"quarter {q} is not covered by the policy ({self.first_quarter}..{self.last_quarter})"
            )
        current = self.versions[0]
        for version in self.versions:
            if version.effective_from <= q:
                current = version
        return current


def tier_problems(tiers: Sequence[Tier]) -> Iterator[str]:
    """Yield ``tiers[i]: problem`` for each gap, overlap or malformed tier.

    Tiers must start at 0, be contiguous (each ``min`` equals the previous ``max``),
    have ``max > min``, end with an open tier (``max`` null) and have unique names.
    """
    if not tiers:
        yield "tiers: at least one tier is required"
        return
    seen: dict[str, int] = {}
    for index, tier in enumerate(tiers):
        where = f"tiers[{index}]"
        if tier.name in seen:
            yield f"{where}: duplicate tier name {tier.name!r} (also tiers[{seen[tier.name]}])"
        seen.setdefault(tier.name, index)
        if not Decimal(0) <= tier.rate <= Decimal(1):
            yield f"{where}: rate {plain(tier.rate)} of tier {tier.name} is not between 0 and 1"
        if tier.maximum is not None and tier.maximum <= tier.minimum:
            yield f"{where}: max {plain(tier.maximum)} is not above min {plain(tier.minimum)} in tier {tier.name}"
        if index == 0:
            if tier.minimum != 0:
                yield f"{where}: first tier {tier.name} must start at 0, not {plain(tier.minimum)}"
            continue
        previous = tiers[index - 1]
        if previous.maximum is None:
            yield (
                f"{where}: tier {tier.name} follows the open-ended tier {previous.name} "
                f"(overlap from {plain(tier.minimum)})"
            )
        elif tier.minimum > previous.maximum:
            yield (
                f"{where}: gap between {plain(previous.maximum)} and {plain(tier.minimum)} "
                f"(tier {previous.name} ends at {plain(previous.maximum)}, "
                f"tier {tier.name} starts at {plain(tier.minimum)})"
            )
        elif tier.minimum < previous.maximum:
            yield (
                f"{where}: overlap between {plain(tier.minimum)} and {plain(previous.maximum)} "
                f"(tier {tier.name} starts before tier {previous.name} ends)"
            )
    if tiers[-1].maximum is not None:
        yield f"tiers[{len(tiers) - 1}]: last tier {tiers[-1].name} must be open-ended (max: null)"


# --------------------------------------------------------------------------- file format


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Rate = Annotated[Decimal, Field(ge=0, le=1)]
Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]


class TierModel(_Model):
    name: str = Field(min_length=1)
    min: Money
    max: Money | None
    rate: Rate


class IncrementalModel(_Model):
    rate: Rate
    require_new_customers: bool = True


class NewMarketModel(_Model):
    rate: Rate
    cap_per_quarter: Money


class CsatModel(_Model):
    min_score: int = Field(ge=0, le=100)
    min_improvement: int = Field(ge=0, le=100)
    amount: Money


class SubsidiesModel(_Model):
    new_market: NewMarketModel
    csat: CsatModel


class BaselineModel(_Model):
    method: Literal["average"] = "average"
    factor: Annotated[Decimal, Field(gt=0)]
    round_to: Annotated[Decimal, Field(gt=0)]
    floor: Money


class VersionModel(_Model):
    effective_from: str
    tier_mode: TierMode = TierMode.WHOLE_VOLUME
    tiers: list[TierModel] = Field(min_length=1)
    incremental: IncrementalModel
    subsidies: SubsidiesModel
    baseline: BaselineModel

    @field_validator("effective_from", mode="before")
    @classmethod
    def _quarter(cls, value: Any) -> str:
        return str(Quarter.parse(str(value))) if _is_quarter(value) else _bad_quarter(value)


class PolicyFile(_Model):
    name: str = ""
    first_quarter: str
    last_quarter: str
    versions: list[VersionModel] = Field(min_length=1)

    @field_validator("first_quarter", "last_quarter", mode="before")
    @classmethod
    def _quarter(cls, value: Any) -> str:
        return str(Quarter.parse(str(value))) if _is_quarter(value) else _bad_quarter(value)


def _is_quarter(value: Any) -> bool:
    try:
        Quarter.parse(str(value))
    except InvalidQuarterError:
        return False
    return True


def _bad_quarter(value: Any) -> str:
    raise ValueError(f"invalid quarter {value!r}, expected e.g. 2026Q1")


# --------------------------------------------------------------------------- loader


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when possible (for error messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_policy(path: Path | str) -> RebatePolicy:
    """Read and validate ``policy.yaml``; raise :class:`PolicyInvalidError` listing every problem."""
    path = Path(path)
    source = display_path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PolicyInvalidError([f"{source}: -: cannot read: {exc}".replace("\n", " ")]) from exc
    return parse_policy(raw, source=source)


def parse_policy(raw: object, *, source: str = "policy.yaml") -> RebatePolicy:
    """Validate an already-parsed policy document (a dict as read from YAML)."""
    try:
        model = PolicyFile.model_validate(raw)
    except ValidationError as exc:
        raise PolicyInvalidError(list(_format_errors(source, raw, exc))) from exc

    problems: list[str] = []
    versions: list[PolicyVersion] = []
    first, last = Quarter.parse(model.first_quarter), Quarter.parse(model.last_quarter)
    if last < first:
        problems.append(f"{source}: last_quarter: {last} is before first_quarter {first}")
    previous: Quarter | None = None
    for index, vm in enumerate(model.versions):
        label = vm.effective_from
        start = Quarter.parse(vm.effective_from)
        if index == 0 and start != first:
            problems.append(f"{source}: {label}.effective_from: the first version must take effect in {first}")
        if previous is not None and start <= previous:
            problems.append(f"{source}: {label}.effective_from: versions must be in ascending order after {previous}")
        if not first <= start <= last:
            problems.append(f"{source}: {label}.effective_from: outside {first}..{last}")
        previous = start
        tiers = tuple(Tier(name=t.name, minimum=t.min, maximum=t.max, rate=t.rate) for t in vm.tiers)
        tier_errors = list(tier_problems(tiers))
        problems.extend(f"{source}: {label}.{p}" for p in tier_errors)
        if tier_errors:
            continue
        versions.append(
            PolicyVersion(
                effective_from=start,
                tier_mode=vm.tier_mode,
                tiers=tiers,
                incremental=IncrementalRule(
                    rate=vm.incremental.rate, require_new_customers=vm.incremental.require_new_customers
                ),
                new_market=NewMarketRule(
                    rate=vm.subsidies.new_market.rate, cap_per_quarter=vm.subsidies.new_market.cap_per_quarter
                ),
                csat=CsatRule(
                    min_score=vm.subsidies.csat.min_score,
                    min_improvement=vm.subsidies.csat.min_improvement,
                    amount=vm.subsidies.csat.amount,
                ),
                baseline=BaselineRule(
                    factor=vm.baseline.factor, round_to=vm.baseline.round_to, floor=vm.baseline.floor
                ),
            )
        )
    if problems:
        raise PolicyInvalidError(problems)
    return RebatePolicy(name=model.name, first_quarter=first, last_quarter=last, versions=tuple(versions))


def _format_errors(source: str, raw: object, exc: ValidationError) -> Iterator[str]:
    """``file: 2026Q1.tiers[2].rate: problem`` — versions are labelled by their quarter."""
    versions = raw.get("versions") if isinstance(raw, dict) else None
    for err in exc.errors():
        loc = list(err["loc"])
        parts: list[str] = []
        i = 0
        while i < len(loc):
            part = loc[i]
            if part == "versions" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
                index = int(loc[i + 1])
                label = f"versions[{index}]"
                if isinstance(versions, list) and index < len(versions) and isinstance(versions[index], dict):
                    quarter = versions[index].get("effective_from")
                    if quarter is not None and _is_quarter(quarter):
                        label = str(Quarter.parse(str(quarter)))
                parts.append(label)
                i += 2
                continue
            if isinstance(part, int) and parts:
                parts[-1] += f"[{part}]"
            else:
                parts.append(str(part))
            i += 1
        yield f"{source}: {'.'.join(parts) or '-'}: {err['msg']}"
