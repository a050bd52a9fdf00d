"""The channel operations data in corpus/ops/: the generator is deterministic and up to date,
every row keeps the contract (corpus/ops/README.md), and each
planted pattern is in the raw files while every other partner-period is clean by the
documented margin.  The reference computations here read the CSV files with the standard
library only; they share no code with the generator."""

from __future__ import annotations

import csv
import importlib.util
import math
import re
import statistics
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "corpus" / "ops"
REBATES = ROOT / "corpus" / "rebates"
WEEKS = [date(2025, 12, 29) + timedelta(days=7 * i) for i in range(52)]
QUARTERS = ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
QUARTER_END = dict(
    zip(QUARTERS, (date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)), strict=True)
)
EDGES = (Decimal(500000), Decimal(1500000), Decimal(3000000))
# The margins of corpus/ops/README.md: (clean at most, planted at least).
DOI_DAYS = (50.0, 200.0)
COMPLAINT_Z = (1.5, 4.5)
SATISFACTION_DROP = (-0.05, 0.30)  # the smaller of two consecutive drops of the survey mean
RETURN_RATE = (0.05, 0.11)
LATE_SHARE = (0.30, 0.42)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _csv(name: str, directory: Path = OPS) -> list[dict[str, str]]:
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def inventory() -> list[dict[str, str]]:
    return _csv("inventory.csv")


@cache
def feedback() -> list[dict[str, str]]:
    return _csv("feedback.csv")


@cache
def orders() -> list[dict[str, str]]:
    return _csv("orders.csv", REBATES)


@cache
def partners() -> dict[str, dict[str, Any]]:
    nodes = yaml.safe_load((REBATES / "channels.yaml").read_text(encoding="utf-8"))["nodes"]
    return {n["id"]: n for n in nodes if n["level"] == "partner"}


@cache
def prices() -> dict[str, int]:
    out: dict[str, int] = {}
    for path in (ROOT / "corpus" / "products").glob("*.yaml"):
        for product in yaml.safe_load(path.read_text(encoding="utf-8")):
            out[product["id"]] = int(product["price"]["list_price"])
    return out


@cache
def planted() -> list[dict[str, str]]:
    entries = yaml.safe_load((OPS / "planted.yaml").read_text(encoding="utf-8"))
    assert isinstance(entries, list)
    return entries


def planted_keys(rule: str) -> set[tuple[str, str]]:
    return {(p["partner_id"], str(p["period"])) for p in planted() if p["rule"] == rule}


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ops_generate", OPS / "generate_ops.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


# -- the generator ---------------------------------------------------------------------------


def test_the_committed_files_are_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _generator()
    monkeypatch.setitem(sys.modules, "ops_generate", module)
    assert module.main(["--check"]) == 0
    names = ("inventory.csv", "feedback.csv", "service.csv", "compliance.csv", "planted.yaml")
    for run in ("a", "b"):  # twice: the same bytes every time
        out = tmp_path / run
        assert module.main(["--out-dir", str(out)]) == 0
        for name in names:
            assert (out / name).read_bytes() == (OPS / name).read_bytes(), name
    # --check notices a changed file.
    stale = tmp_path / "a"
    (stale / "service.csv").write_text("record_id\n", encoding="utf-8")
    assert module.main(["--check", "--out-dir", str(stale)]) == 1
    assert "service.csv" in capsys.readouterr().err
    assert sum(p.stat().st_size for p in OPS.glob("*.csv")) < 5_000_000  # a few MB at most


# -- the contract, row by row ----------------------------------------------------------------


def test_inventory_rows_keep_the_contract() -> None:
    sold: dict[str, set[str]] = defaultdict(set)
    for o in orders():
        sold[o["partner_id"]].add(o["product_id"])
    series: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in inventory():
        assert list(row) == ["week", "partner_id", "product_id", "sell_in_units", "sell_through_units", "stock_units"]
        series[(row["partner_id"], row["product_id"])].append(row)
    assert {pid for pid, _ in series} == set(partners())  # every partner reports
    per_partner = Counter(pid for pid, _ in series)
    assert max(per_partner.values()) <= 8 and min(per_partner.values()) >= 3
    for (pid, product), rows in series.items():
        assert product in sold[pid], (pid, product)  # only products the partner sells
        assert [date.fromisoformat(r["week"]) for r in rows] == WEEKS
        previous = None
        for r in rows:
            sell_in, through, stock = (int(r[c]) for c in ("sell_in_units", "sell_through_units", "stock_units"))
            assert min(sell_in, through, stock) >= 0
            if previous is not None:
                assert stock == previous + sell_in - through, (pid, product, r["week"])
            previous = stock


def _units(amount: Decimal, price: int) -> int:
    return int((amount / price).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_sell_in_is_the_ledger_by_the_contract_formula() -> None:
    booked: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    returned: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    for o in orders():
        day = date.fromisoformat(o["date"])
        key = (o["partner_id"], o["product_id"], day - timedelta(days=day.weekday()))
        (returned if o["status"] == "returned" else booked)[key] += Decimal(o["amount"])
    nonzero = 0
    for r in inventory():
        key = (r["partner_id"], r["product_id"], date.fromisoformat(r["week"]))
        price = prices()[r["product_id"]]
        expected = max(0, _units(booked[key], price) - _units(returned[key], price))
        assert int(r["sell_in_units"]) == expected, key
        nonzero += expected > 0
    assert nonzero > 1000  # the ledger really flows in


def test_feedback_rows_keep_the_contract() -> None:
    customers: dict[str, set[str]] = defaultdict(set)
    bought: dict[tuple[str, str], set[str]] = defaultdict(set)
    for o in orders():
        customers[o["partner_id"]].add(o["customer_id"])
        bought[(o["partner_id"], o["customer_id"])].add(o["product_id"])
    ids = [r["feedback_id"] for r in feedback()]
    assert len(ids) == len(set(ids))
    texts: dict[str, set[str]] = defaultdict(set)
    for r in feedback():
        assert r["partner_id"] in partners()
        assert r["customer_id"] in customers[r["partner_id"]], r["feedback_id"]
        assert r["product_id"] in bought[(r["partner_id"], r["customer_id"])], r["feedback_id"]
        assert date(2026, 1, 1) <= date.fromisoformat(r["date"]) <= date(2026, 12, 31)
        assert CJK.search(r["text"]) and len(r["text"]) <= 60
        if r["kind"] == "survey":
            assert r["score"] in {"1", "2", "3", "4", "5"} and r["category"] == "" and r["status"] == "closed"
        else:
            assert r["kind"] == "complaint"
            assert r["score"] == ""
            assert r["category"] in {"quality", "delivery", "installation", "service", "billing"}
            assert r["status"] in {"open", "in_progress", "closed"}
        texts[r["kind"]].add(r["text"])
    assert len(texts["complaint"]) >= 50  # varied, not one sentence repeated
    scores = [int(r["score"]) for r in feedback() if r["kind"] == "survey"]
    assert sum(s >= 3 for s in scores) / len(scores) >= 0.85  # mostly 3-5
    means = [statistics.mean(v) for v in _survey_scores_by_partner().values()]
    assert max(means) - min(means) >= 0.5  # partner-specific levels
    statuses = Counter(r["status"] for r in feedback() if r["kind"] == "complaint")
    assert statuses["open"] > 0 and statuses["closed"] > statuses["open"]


def _survey_scores_by_partner() -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for r in feedback():
        if r["kind"] == "survey":
            out[r["partner_id"]].append(int(r["score"]))
    return out


def test_service_and_compliance_rows_keep_the_contract() -> None:
    service = _csv("service.csv")
    assert len({r["record_id"] for r in service}) == len(service) > 39 * 10
    for r in service:
        assert r["partner_id"] in partners() and r["kind"] in {"ticket", "handoff"}
        assert re.fullmatch(r"2026-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["opened_at"])
        datetime.fromisoformat(r["opened_at"][:-1])
        first = int(r["first_response_minutes"])
        assert first >= 1
        assert r["resolved_minutes"] == "" or int(r["resolved_minutes"]) >= first
    assert {r["kind"] for r in service} == {"ticket", "handoff"}
    compliance = _csv("compliance.csv")
    kinds = {"cross_region_sale", "price_below_floor", "late_report", "unauthorised_subdealer", "data_falsification"}
    for r in compliance:
        assert r["partner_id"] in partners() and r["kind"] in kinds and r["severity"] in {"low", "medium", "high"}
        assert date.fromisoformat(r["date"]).year == 2026 and CJK.search(r["note"])
    assert len({r["record_id"] for r in compliance}) == len(compliance) > 20


def test_planted_yaml_names_known_rules_partners_and_periods() -> None:
    rules = {"return_spike", "quarter_end_stuffing", "tier_edge_no_new", "overstock", "complaint_rate"}
    rules.add("satisfaction_falling")
    keys = [(p["rule"], p["partner_id"], str(p["period"])) for p in planted()]
    assert len(keys) == len(set(keys))
    for rule, pid, period in keys:
        assert rule in rules and pid in partners()
        if rule == "overstock":
            assert date.fromisoformat(period) in WEEKS
        else:
            assert period in QUARTERS
    counts = Counter(rule for rule, _, _ in keys)
    assert counts["overstock"] >= 3 and counts["complaint_rate"] >= 3
    assert len({pid for rule, pid, _ in keys if rule == "satisfaction_falling"}) >= 3
    assert len({partners()[pid]["region"] for rule, pid, _ in keys if rule == "complaint_rate"}) >= 3


# -- planted patterns, computed from the raw files -------------------------------------------


def _doi(stock: list[int], through: list[int], index: int) -> float:
    if stock[index] == 0:
        return 0.0
    window = through[max(0, index - 3) : index + 1]
    daily = sum(window) / (7 * len(window))
    return math.inf if daily == 0 else stock[index] / daily


def _overstock_runs(threshold: float) -> tuple[set[tuple[str, str]], dict[tuple[str, str], list[tuple[float, int]]]]:
    """(partner, first week of each run of weeks above ``threshold``), and (DOI, stock) by week."""
    series: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in inventory():
        series[(r["partner_id"], r["product_id"])].append(r)
    runs: set[tuple[str, str]] = set()
    weeks: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for key, rows in series.items():
        stock = [int(r["stock_units"]) for r in rows]
        through = [int(r["sell_through_units"]) for r in rows]
        dois = [_doi(stock, through, i) for i in range(len(rows))]
        weeks[key] = list(zip(dois, stock, strict=True))
        for i, value in enumerate(dois):
            if value > threshold and (i == 0 or dois[i - 1] <= threshold):
                runs.add((key[0], rows[i]["week"]))
    return runs, weeks


def test_overstock_runs_are_planted_and_every_other_week_is_clear() -> None:
    expected = planted_keys("overstock")
    # Any threshold between the clean maximum and the planted minimum finds the same runs ...
    low, weeks = _overstock_runs(DOI_DAYS[0])
    high, _ = _overstock_runs(DOI_DAYS[1])
    assert low == high == expected
    # ... because no week of any partner-product falls between the two.
    between = [
        (key, i)
        for key, series in weeks.items()
        for i, (doi, _) in enumerate(series)
        if DOI_DAYS[0] < doi <= DOI_DAYS[1]
    ]
    assert between == []
    # A planted run holds a real pile of stock (10 units or more) in every week above the line.
    above = [(key, stock) for key, series in weeks.items() for doi, stock in series if doi > DOI_DAYS[1]]
    assert len(above) >= 3 * len(expected)
    assert all(stock >= 10 for _, stock in above), above


def _served() -> dict[tuple[str, str], set[str]]:
    served: dict[tuple[str, str], set[str]] = defaultdict(set)
    for o in orders():
        if o["status"] == "booked":
            served[(o["partner_id"], quarter_of(date.fromisoformat(o["date"])))].add(o["customer_id"])
    return served


def test_complaint_rate_outliers_are_planted_and_the_rest_sit_near_their_region() -> None:
    complaints = Counter(
        (r["partner_id"], quarter_of(date.fromisoformat(r["date"]))) for r in feedback() if r["kind"] == "complaint"
    )
    served = _served()
    regions: dict[str, list[str]] = defaultdict(list)
    for pid, node in partners().items():
        regions[node["region"]].append(pid)
    expected = planted_keys("complaint_rate")
    found: set[tuple[str, str]] = set()
    for pids in regions.values():
        for quarter in QUARTERS:
            rates = {pid: complaints[(pid, quarter)] / len(served[(pid, quarter)]) for pid in pids}
            median = statistics.median(rates.values())
            mad = statistics.median(abs(v - median) for v in rates.values())
            assert mad > 0
            for pid, rate in rates.items():
                z = (rate - median) / (1.4826 * mad)
                if (pid, quarter) in expected:
                    assert z >= COMPLAINT_Z[1] and complaints[(pid, quarter)] >= 3, (pid, quarter, z)
                    found.add((pid, quarter))
                else:
                    assert z <= COMPLAINT_Z[0], (pid, quarter, z)
    assert found == expected


def test_satisfaction_falls_where_planted_and_nowhere_else() -> None:
    scores: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in feedback():
        if r["kind"] == "survey":
            scores[(r["partner_id"], quarter_of(date.fromisoformat(r["date"])))].append(int(r["score"]))
    expected = planted_keys("satisfaction_falling")
    for pid in partners():
        means = [statistics.mean(scores[(pid, q)]) for q in QUARTERS]
        assert min(len(scores[(pid, q)]) for q in QUARTERS) >= 5
        for index in (2, 3):
            drop = min(means[index - 2] - means[index - 1], means[index - 1] - means[index])
            if (pid, QUARTERS[index]) in expected:
                assert drop >= SATISFACTION_DROP[1], (pid, QUARTERS[index], drop)
            else:
                assert drop <= SATISFACTION_DROP[0], (pid, QUARTERS[index], drop)


def _ledger_quarters() -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {
            "booked": Decimal(0),
            "returned": Decimal(0),
            "late": Decimal(0),
            "late_old": Decimal(0),
            "late_new": 0,
        }
    )
    for o in orders():
        day = date.fromisoformat(o["date"])
        entry = out[(o["partner_id"], quarter_of(day))]
        amount = Decimal(o["amount"])
        if o["status"] == "returned":
            entry["returned"] += amount
            continue
        entry["booked"] += amount
        if (QUARTER_END[quarter_of(day)] - day).days < 14:
            entry["late"] += amount
            if o["new_customer"] == "true":
                entry["late_new"] += 1
            else:
                entry["late_old"] += amount
    return out


def test_ledger_patterns_are_the_scenarios_of_generate_orders() -> None:
    quarters = _ledger_quarters()
    returns, stuffing, edge = set(), set(), set()
    for key, e in quarters.items():
        rate = e["returned"] / e["booked"]
        late = e["late"] / e["booked"]
        assert rate <= RETURN_RATE[0] or rate >= RETURN_RATE[1], (key, rate)
        assert late <= LATE_SHARE[0] or late >= LATE_SHARE[1], (key, late)
        if rate >= RETURN_RATE[1]:
            returns.add(key)
        if late >= LATE_SHARE[1]:
            stuffing.add(key)
        net = e["booked"] - e["returned"]
        for tier in EDGES:
            if tier <= net < tier * Decimal("1.05") and net - e["late_old"] < tier and e["late_new"] == 0:
                edge.add(key)
    assert returns == planted_keys("return_spike")
    assert stuffing == planted_keys("quarter_end_stuffing")
    assert edge == planted_keys("tier_edge_no_new") == {("P-NB-03", "2026Q2"), ("P-TJ-01", "2026Q2")}
    # The scenarios of generate_orders.py's docstring are among them.
    assert {("P-NB-01", "2026Q1"), ("P-NB-01", "2026Q4"), ("P-TJ-01", "2026Q2")} <= stuffing
    assert {("P-SU-02", q) for q in QUARTERS} | {("P-CQ-01", "2026Q1"), ("P-CQ-01", "2026Q2")} <= returns


def test_the_readme_documents_every_margin() -> None:
    readme = (OPS / "README.md").read_text(encoding="utf-8")
    for low, high in (DOI_DAYS, COMPLAINT_Z, SATISFACTION_DROP, RETURN_RATE, LATE_SHARE):
        for value in (low, high):
            assert f"{value:g}" in readme, value
    for rule in ("overstock", "complaint_rate", "satisfaction_falling", "return_spike", "quarter_end_stuffing"):
        assert rule in readme
