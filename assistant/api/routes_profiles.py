"""REST routes of channel profiles, the capability map (translation only; decisions in
:class:`assistant.ops.profile.ProfileService`).

Managers and admins read the partners of their node and every node below it; sales staff and
content admins only their own partner; other roles get 403 ``forbidden``.  Errors:
``partner_not_found`` (404, also for a partner outside what the caller may read: the body is
byte for byte the one of an id that does not exist), ``partner_required`` (422: a readable node
that is not a partner), ``quarter_not_found`` (404: malformed, outside the rebate policy, or
before the partner joined), ``quarter_not_started`` (404), ``not_ready`` (503: no rebate data),
``profile_rules_invalid`` (503: a broken ``profile_rules.yaml``); a malformed query or path is
``validation_error`` (422).  Scores, weights and raw figures are JSON numbers (a score 0-100 with
one decimal; raw in ``unit``); labels are zh-CN, or English with ``?lang=en``.

::

    GET /api/ops/profiles?quarter=2026Q4
        -> {"node_id": "A-HZ", "quarter": "2026Q4", "count": 4, "profiles": [<profile>, ...]}
    GET /api/ops/profiles/P-HZ-01?quarter=2026Q4
        -> {"partner_id": "P-HZ-01", "partner_name": "...", "quarter": "2026Q4",
            "dimensions": [{"key": "operating", "label": "经营能力", "score": 71.3,
                            "subscores": [{"key": "growth", "label": "环比增长", "raw": 5.14,
                                           "unit": "%", "score": 67.0, "weight": 0.25}, ...]}, ...],
            "alliance": {"operating": 68.2, "service": 70.1, "compliance": 80.0},
            "region": {...}, "weakest_vs_alliance": "service"}
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.runtime import NotReadyError, Runtime
from assistant.ops.profile import (
    DEFAULT_RULES_FILE,
    Dimension,
    Language,
    PartnerProfile,
    ProfileRules,
    ProfileService,
    load_rules,
)

router = APIRouter(tags=["profiles"])

PartnerIdParam = Annotated[str, Path(min_length=1, max_length=64)]
QuarterParam = Annotated[str | None, Query(max_length=64, description="e.g. 2026Q4; default: the current quarter")]
LangParam = Annotated[Literal["zh", "en"] | None, Query(description="labels' language; default: the caller's")]


# --------------------------------------------------------------------------- the service


@lru_cache(maxsize=4)
def _rules(path: str, _mtime_ns: int, _size: int) -> ProfileRules:
    """The scoring file, read again when it changes on disk."""
    return load_rules(path)


def rules_file(runtime: Runtime) -> FilePath:
    """``profile_rules.yaml`` beside the ops data the service seeded from (the shipped file
    when that one is missing), as the alert thresholds are found."""
    s = runtime.settings
    candidate = (s.rebates_dir or s.corpus_dir / "rebates").parent / "ops" / "profile_rules.yaml"
    return candidate if candidate.exists() else DEFAULT_RULES_FILE


def service(runtime: Runtime) -> ProfileService:
    """A profile service over the rebate snapshot, brought up to date first (several instances)."""
    rebates = runtime.current_rebates()
    if rebates is None or not rebates.available or runtime.db is None:
        raise NotReadyError("rebates not loaded")
    path = rules_file(runtime)
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = (str(path), 0, 0)  # load_rules says what is wrong (profile_rules_invalid)
    return ProfileService(db=runtime.db, rebates=rebates, rules=_rules(*key))


# --------------------------------------------------------------------------- payloads


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class SubScoreOut(BaseModel):
    key: str
    label: str
    raw: float | None  # in ``unit``; null: no data this quarter
    unit: str
    score: float | None  # 0-100; null: no data
    weight: float  # within its dimension (they add up to 1)


class DimensionOut(BaseModel):
    key: str  # operating | service | compliance
    label: str
    score: float | None  # weighted mean of the sub-scores with data; null: none has data
    subscores: list[SubScoreOut]


class ProfileOut(BaseModel):
    partner_id: str
    partner_name: str
    quarter: str
    dimensions: list[DimensionOut]
    alliance: dict[str, float | None]  # dimension key -> the alliance's mean score
    region: dict[str, float | None]  # dimension key -> the region's mean score
    weakest_vs_alliance: str | None  # the dimension key furthest below the alliance's mean


class ProfileListOut(BaseModel):
    node_id: str  # the caller's node
    quarter: str
    count: int
    profiles: list[ProfileOut]


def dimension_out(d: Dimension, language: Language) -> DimensionOut:
    return DimensionOut(
        key=d.key,
        label=d.label(language),
        score=_num(d.score),
        subscores=[
            SubScoreOut(
                key=s.key,
                label=s.label(language),
                raw=_num(s.raw),
                unit=s.unit_in(language),
                score=_num(s.score),
                weight=float(s.weight),
            )
            for s in d.subscores
        ],
    )


def profile_out(p: PartnerProfile, language: Language) -> ProfileOut:
    return ProfileOut(
        partner_id=p.partner_id,
        partner_name=p.partner_name,
        quarter=str(p.quarter),
        dimensions=[dimension_out(d, language) for d in p.dimensions],
        alliance={k: _num(v) for k, v in p.alliance_avg.items()},
        region={k: _num(v) for k, v in p.region_avg.items()},
        weakest_vs_alliance=p.weakest_vs_alliance,
    )


# --------------------------------------------------------------------------- routes


@router.get("/api/ops/profiles", response_model=ProfileListOut)
def list_profiles(
    caller: CallerDep, runtime: RuntimeDep, quarter: QuarterParam = None, lang: LangParam = None
) -> ProfileListOut:
    """The profiles of the partners the caller may read (a sales user: its own), by partner id."""
    profiles = service(runtime)
    node = profiles.viewer_node(caller)
    found = profiles.profiles(caller, quarter)
    q = found[0].quarter if found else profiles.quarter(quarter)
    language = lang or caller.language
    return ProfileListOut(
        node_id=node.id, quarter=str(q), count=len(found), profiles=[profile_out(p, language) for p in found]
    )


@router.get("/api/ops/profiles/{partner_id}", response_model=ProfileOut)
def get_profile(
    partner_id: PartnerIdParam,
    caller: CallerDep,
    runtime: RuntimeDep,
    quarter: QuarterParam = None,
    lang: LangParam = None,
) -> ProfileOut:
    """One partner's capability map, with its alliance's and region's means."""
    return profile_out(service(runtime).profile(caller, partner_id, quarter), lang or caller.language)
