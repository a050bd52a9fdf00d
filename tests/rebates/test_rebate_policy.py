"""policy.yaml: the demo file encodes docs/rebate-policy.md; broken tier tables are rejected by name."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from rebate_helpers import PARTNER, make_engine, make_order, policy_doc

from assistant.rebates import (
    LineKind,
    PolicyInvalidError,
    QuarterNotFoundError,
    TierMode,
    load_policy,
    parse_policy,
)

ROOT = Path(__file__).resolve().parents[2]
D = Decimal


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, doc: dict[str, Any]) -> list[str]:
    with pytest.raises(PolicyInvalidError) as info:
        load_policy(write(tmp_path, doc))
    assert info.value.code == "policy_invalid"
    return info.value.problems


def test_demo_policy_matches_the_written_policy() -> None:
    policy = load_policy(ROOT / "corpus" / "rebates" / "policy.yaml")
    assert [str(q) for q in policy.quarters] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    for quarter in policy.quarters:
        version = policy.version_for(quarter)
        assert version.tier_mode is TierMode.WHOLE_VOLUME
        assert [(t.name, t.minimum, t.maximum, t.rate) for t in version.tiers] == [
            ("T1", D(0), D(500000), D("0.02")),
            ("T2", D(500000), D(1500000), D("0.03")),
            ("T3", D(1500000), D(3000000), D("0.04")),
            ("T4", D(3000000), None, D("0.05")),
        ]
        assert (version.incremental.rate, version.incremental.require_new_customers) == (D("0.03"), True)
        assert (version.new_market.rate, version.new_market.cap_per_quarter) == (D("0.02"), D(50000))
        assert (version.csat.min_score, version.csat.min_improvement, version.csat.amount) == (85, 5, D(20000))
        assert (version.baseline.factor, version.baseline.round_to, version.baseline.floor) == (
            D("1.05"),
            D(10000),
            D(300000),
        )


def test_gap_between_tiers_is_named(tmp_path: Path) -> None:
    doc = policy_doc()
    doc["versions"][0]["tiers"][2]["min"] = 1600000
    problems = problems_of(tmp_path, doc)
    assert len(problems) == 1
    assert "policy.yaml: 2026Q1.tiers[2]: gap between 1500000 and 1600000" in problems[0]
    assert "T3" in problems[0]


def test_overlapping_tiers_are_named(tmp_path: Path) -> None:
    doc = policy_doc()
    doc["versions"][0]["tiers"][2]["min"] = 1400000
    (problem,) = problems_of(tmp_path, doc)
    assert "2026Q1.tiers[2]: overlap between 1400000 and 1500000" in problem


def test_tiers_must_start_at_zero(tmp_path: Path) -> None:
    doc = policy_doc()
    doc["versions"][0]["tiers"][0]["min"] = 100000
    (problem,) = problems_of(tmp_path, doc)
    assert "2026Q1.tiers[0]: first tier T1 must start at 0" in problem


def test_last_tier_must_be_open(tmp_path: Path) -> None:
    doc = policy_doc()
    doc["versions"][0]["tiers"][3]["max"] = 9000000
    (problem,) = problems_of(tmp_path, doc)
    assert "2026Q1.tiers[3]: last tier T4 must be open-ended" in problem


def test_every_bad_version_is_reported_with_its_quarter(tmp_path: Path) -> None:
    doc = policy_doc()
    second = copy.deepcopy(doc["versions"][0])
    second["effective_from"] = "2026Q3"
    second["tiers"][1]["max"] = 1400000  # T2 ends at 1,400,000, T3 starts at 1,500,000
    doc["versions"][0]["tiers"][3]["min"] = 2900000  # overlap with T3 (which ends at 3,000,000)
    doc["versions"].append(second)
    problems = problems_of(tmp_path, doc)
    assert any("2026Q1.tiers[3]: overlap between 2900000 and 3000000" in p for p in problems)
    assert any("2026Q3.tiers[2]: gap between 1400000 and 1500000" in p for p in problems)
    assert len(problems) == 2


def test_field_errors_name_the_version_and_field(tmp_path: Path) -> None:
    doc = policy_doc()
    doc["versions"][0]["tiers"][1]["rate"] = "three percent"
    doc["versions"][0]["subsidies"]["csat"]["min_score"] = 120
    problems = problems_of(tmp_path, doc)
    assert any("2026Q1.tiers[1].rate:" in p for p in problems)
    assert any("2026Q1.subsidies.csat.min_score:" in p for p in problems)
    assert all(p.split(": ")[0].endswith("policy.yaml") for p in problems)


def test_versions_must_start_at_first_quarter_and_ascend() -> None:
    doc = policy_doc()
    doc["versions"][0]["effective_from"] = "2026Q2"
    with pytest.raises(PolicyInvalidError) as info:
        parse_policy(doc, source="p.yaml")
    assert "p.yaml: 2026Q2.effective_from: the first version must take effect in 2026Q1" in info.value.problems


def test_versions_apply_until_the_next_one() -> None:
    doc = policy_doc()
    marginal = copy.deepcopy(doc["versions"][0])
    marginal["effective_from"] = "2026Q3"
    marginal["tier_mode"] = "marginal"
    doc["versions"].append(marginal)
    policy = parse_policy(doc)
    modes = [policy.version_for(q).tier_mode for q in ("2026Q1", "2026Q2", "2026Q3", "2026Q4")]
    assert modes == [TierMode.WHOLE_VOLUME, TierMode.WHOLE_VOLUME, TierMode.MARGINAL, TierMode.MARGINAL]
    with pytest.raises(QuarterNotFoundError):
        policy.version_for("2027Q1")
    # The engine picks the version of the statement's quarter: 600,000 earns 3% whole-volume in Q2
    # (18,000) but 500,000 x 2% + 100,000 x 3% = 13,000 under the marginal Q3 version.
    engine = make_engine(
        [make_order("SO-1", "600000.00", "2026-05-01"), make_order("SO-2", "600000.00", "2026-08-01")], policy=policy
    )
    q2 = engine.statement(partner_id=PARTNER, quarter="2026Q2", as_of=date(2026, 12, 1))
    q3 = engine.statement(partner_id=PARTNER, quarter="2026Q3", as_of=date(2026, 12, 1))
    assert q2.line(LineKind.BASE).amount == D("18000.00")
    assert q3.line(LineKind.BASE).amount == D("13000.00")
    assert str(q3.policy_version) == "2026Q3"


def test_unreadable_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("versions: [unclosed", encoding="utf-8")
    with pytest.raises(PolicyInvalidError):
        load_policy(path)
