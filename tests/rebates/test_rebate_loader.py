"""channels.yaml / orders.csv problems are reported as ``file: field: problem``."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.rebates import RebateDataError, load_channels, load_orders

CHANNELS = """
nodes:
  - {id: N-001, name: 总代, level: national, region: 全国, city: 上海}
  - {id: R-EC, name: 华东总代, level: regional, parent: N-001, region: 华东, city: 杭州}
  - {id: A-HZ, name: 杭州蜂窝联盟, level: alliance, parent: R-EC, region: 华东, city: 杭州}
  - id: P-HZ-01
    name: 杭州网关
    level: partner
    parent: A-HZ
    region: 华东
    city: 杭州
    baseline: {2026Q1: 800000}
    satisfaction: {2025Q4: 80, 2026Q1: 86}
    claims:
      - {id: CL-1, quarter: 2026Q1, kind: csat, state: approved, decided_on: 2026-04-02}
users:
  - {username: hz_sales1, display_name: 王晓东, partner: P-HZ-01, role: sales}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_channels(tmp_path: Path) -> None:
    data = load_channels(write(tmp_path, "channels.yaml", CHANNELS), regions=frozenset({"华东"}))
    assert data.network.can_read("A-HZ", "P-HZ-01")
    profile = data.profiles["P-HZ-01"]
    assert str(profile.first_quarter) == "2026Q1" and profile.first_baseline == 800000
    assert profile.claims[0].claim_id == "CL-1"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("baseline: {2026Q1: 800000}", "baseline: {2026Q1: -5}", "nodes[P-HZ-01].baseline.2026Q1:"),
        ("2025Q4: 80,", "2025Q4: 180,", "nodes[P-HZ-01].satisfaction.2025Q4:"),
        ("state: approved, decided_on: 2026-04-02", "state: approved", "needs decided_on"),
        ("kind: csat,", "kind: new_market,", "exactly one of industry or city"),
        ("region: 华东, city: 杭州}\n  - {id: A-HZ", "region: 火星, city: 杭州}\n  - {id: A-HZ", "nodes[R-EC].region"),
        ("parent: A-HZ", "parent: A-XX", "unknown parent"),
        ("partner: P-HZ-01", "partner: P-NOPE", "P-NOPE"),
        ("quarter: 2026Q1", "quarter: 2026Q9", "invalid quarter"),
    ],
)
def test_bad_channels(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in CHANNELS
    path = write(tmp_path, "channels.yaml", CHANNELS.replace(old, new, 1))
    with pytest.raises(RebateDataError) as info:
        load_channels(path, regions=frozenset({"华东"}))
    assert info.value.code == "rebate_data_invalid"
    assert any(p.startswith(str(path)) or "channels.yaml: " in p for p in info.value.problems)
    assert any(expected in p for p in info.value.problems), info.value.problems


HEADER = "order_id,date,partner_id,customer_id,new_customer,product_id,amount,status,reverses,industry,city\n"


def test_orders_csv(tmp_path: Path) -> None:
    text = HEADER + "SO-1,2026-01-05,P-1,C-1,true,EG-2100,1000.50,booked,,化工,杭州\n"
    text += "RT-1,2026-02-05,P-1,C-1,true,EG-2100,1000.50,returned,SO-1,化工,杭州\n"
    ledger = load_orders(write(tmp_path, "orders.csv", text))
    assert len(ledger) == 2


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("SO-1,2026-01-05,P-1,C-1,true,EG-2100,-3.00,booked,,,\n", "line 2.amount:"),
        ("SO-1,2026-01-05,P-1,C-1,true,EG-2100,1.001,booked,,,\n", "line 2.amount:"),
        ("SO-1,2026-13-05,P-1,C-1,true,EG-2100,1.00,booked,,,\n", "line 2.date:"),
        ("RT-1,2026-01-05,P-1,C-1,true,EG-2100,1.00,returned,,,\n", "needs reverses"),
        ("RT-1,2026-01-05,P-1,C-1,true,EG-2100,1.00,returned,SO-9,,\n", "unknown order"),
    ],
)
def test_bad_orders_csv(tmp_path: Path, row: str, expected: str) -> None:
    with pytest.raises(RebateDataError) as info:
        load_orders(write(tmp_path, "orders.csv", HEADER + row))
    assert any("orders.csv: " in p and expected in p for p in info.value.problems), info.value.problems
