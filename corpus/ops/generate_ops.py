"""Generate the channel operations data in ``corpus/ops/`` — deterministic (fixed seed).

Usage::

    python corpus/ops/generate_ops.py            # rewrite the five files next to this file
    python corpus/ops/generate_ops.py --check    # exit 1 if any of them is not what it would write

Reads ``corpus/rebates/channels.yaml`` (the leaf partners, their regions and their
0-100 satisfaction, used only to set each partner's survey level), ``corpus/rebates/orders.csv``
(the ledger: sell-in, customers, products) and the list prices of ``corpus/products/*.yaml``.
Writes, following the contract in ``README.md`` here:

* ``inventory.csv``   weekly stock report per partner and product (52 weeks from 2025-12-29)
* ``feedback.csv``    end-customer surveys (1-5) and complaints
* ``service.csv``     ticket and handoff response times
* ``compliance.csv``  violations
* ``planted.yaml``    every risk pattern planted on purpose, one per (rule, partner, period)

Everything not listed in ``planted.yaml`` is clean by construction, with the margins of
``MARGINS`` below; the generator checks both sides with the same plain computations an alert
engine would make and refuses to write data that misses a margin.  Planted here:

* ``overstock``: ``OVERSTOCK`` partners stop reporting sell-through for ``RUN_WEEKS`` weeks from
  the first week of the given quarter in which a product with no stock for three weeks gets a
  sell-in of at least ``MIN_LUMP`` units (days of inventory are infinite or above
  ``MARGINS['overstock_planted_min_days']`` throughout the run; outside runs each week sells
  at least a fixed share of what is on hand, so days of inventory stay under
  ``MARGINS['overstock_clean_max_days']``);
* ``complaint_rate``: ``COMPLAINT_OUTLIERS`` partner-quarters get complaints well above their
  region's median (robust z = (rate - median) / (1.4826 * MAD));
* ``satisfaction_falling``: ``FALLING`` partners' survey means follow a designed trajectory;
* the ledger patterns ``return_spike``, ``quarter_end_stuffing`` and ``tier_edge_no_new`` are
  not invented here: they are the partner-quarters of ``generate_orders.py``'s SCENARIOS,
  found in ``orders.csv`` with the rules' own measures (``LEDGER_RULES``).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

SEED = 20261214
HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent
FIRST_WEEK = date(2025, 12, 29)
WEEK_COUNT = 52
WEEKS = tuple(FIRST_WEEK + timedelta(days=7 * i) for i in range(WEEK_COUNT))
QUARTERS = {
    "2026Q1": (date(2026, 1, 1), date(2026, 3, 31)),
    "2026Q2": (date(2026, 4, 1), date(2026, 6, 30)),
    "2026Q3": (date(2026, 7, 1), date(2026, 9, 30)),
    "2026Q4": (date(2026, 10, 1), date(2026, 12, 31)),
}
AS_OF = date(2026, 12, 31)  # the day the data is "exported": recent complaints are still open
EXPORTED_AT = datetime(2027, 1, 1)  # service records resolved after this are still open
LATE_DAYS = 14
TIER_EDGES = (Decimal(500_000), Decimal(1_500_000), Decimal(3_000_000))  # corpus/rebates/policy.yaml
EDGE_MARGIN = Decimal("0.05")
MAX_PRODUCTS = 8  # inventory is reported for a partner's 8 best-selling products (by units)
MAD_SCALE = 1.4826

# The margins every clean row keeps and every planted row exceeds (documented in README.md;
# an alert engine's thresholds sit between the two numbers of each pair).
MARGINS: dict[str, float] = {
    "overstock_clean_max_days": 50.0,  # clean: days of inventory <= 50 every week
    "overstock_planted_min_days": 200.0,  # planted runs: > 200 (or infinite) every week of the run
    "complaint_clean_max_z": 1.5,  # clean: robust z <= 1.5
    "complaint_planted_min_z": 4.5,  # planted: robust z >= 4.5
    "satisfaction_clean_max_drop": -0.05,  # clean: the smaller of two consecutive drops <= -0.05
    "satisfaction_planted_min_drop": 0.30,  # planted: both drops >= 0.30
}
# The ledger rules' measures (see README.md), with a clean maximum below each planted minimum.
LEDGER_RULES = {
    "return_spike": {"clean_max": 0.05, "planted_min": 0.11},  # returned / booked in the quarter
    "quarter_end_stuffing": {"clean_max": 0.30, "planted_min": 0.42},  # share booked in the last 14 days
}

# -- planted patterns ---------------------------------------------------------------------
OVERSTOCK = {"P-HZ-02": "2026Q2", "P-SZ-03": "2026Q3", "P-BJ-02": "2026Q3", "P-WH-01": "2026Q3", "P-CQ-01": "2026Q4"}
RUN_WEEKS = 8
MIN_LUMP = 12  # units: a run starts with stock well above a "handful of units" floor
CLEAN_COMPLAINT_BAND = (0.05, 0.70)  # complaints per customer served, before the margin check
COMPLAINT_OUTLIERS = {"P-GZ-03": "2026Q2", "P-WH-04": "2026Q3", "P-CQ-03": "2026Q4", "P-BJ-04": "2026Q1"}
# Survey-mean steps (Q1->Q2, Q2->Q3, Q3->Q4) of the partners whose satisfaction falls.
FALLING: dict[str, tuple[float, float, float]] = {
    "P-HZ-01": (-0.40, -0.45, -0.40),  # falls three quarters in a row: 2026Q3 and 2026Q4
    "P-TJ-02": (-0.40, -0.50, 0.20),  # 2026Q3
    "P-SZ-02": (0.20, -0.45, -0.40),  # 2026Q4
    "P-CD-03": (0.15, -0.50, -0.45),  # 2026Q4
}
# Ledger scenarios of generate_orders.py the ledger rules must catch (read, not invented).
LEDGER_SCENARIO_PARTNERS = {
    # P-SZ-02: its big late 2026Q2 order to an existing customer, returned in 2026Q3 (11% of booked)
    "return_spike": ("P-GZ-02", "P-CS-01", "P-SU-02", "P-CQ-01", "P-SZ-02"),
    "quarter_end_stuffing": ("P-NB-01", "P-TJ-01", "P-GZ-02", "P-CS-01"),
    "tier_edge_no_new": ("P-NB-03", "P-TJ-01"),
}

CATEGORIES = ("quality", "delivery", "installation", "service", "billing")
COMPLAINT_TEXTS: dict[str, tuple[str, ...]] = {
    "quality": (
        "{product} 上线两周就频繁掉线，需要重启才能恢复。",
        "{product} 到货后有一台无法开机。",
        "{product} 采集的数据偶尔跳变，读数不稳定。",
        "{product} 接口松动，现场反复接触不良。",
        "{product} 固件升级后部分功能失效。",
        "{product} 在高温车间里运行一段时间就报警。",
    ),
    "delivery": (
        "{product} 承诺一周到货，实际晚了十多天。",
        "发货少了一台 {product}，补发又等了很久。",
        "{product} 外包装破损，配件缺失。",
        "到货型号与合同不符，{product} 需要换货。",
        "物流信息一直不更新，{product} 不知道到哪了。",
    ),
    "installation": (
        "安装工程师对 {product} 不熟悉，调试拖了两天。",
        "{product} 布线不规范，后来又返工一次。",
        "安装后没有联调，{product} 的数据上不了平台。",
        "上门安装时间一改再改，影响了停机计划。",
        "{product} 安装位置不合理，维护很不方便。",
    ),
    "service": (
        "报修后两天才有人回电话。",
        "{product} 的问题来回沟通好几次还没解决。",
        "售后电话经常打不通。",
        "技术支持的答复太笼统，没有具体办法。",
        "答应的现场培训一直没有安排。",
    ),
    "billing": (
        "发票抬头开错了，重开耽误了付款。",
        "报价单和合同金额对不上。",
        "{product} 的订阅费被重复扣款。",
        "对账单里多了一笔没有下过的订单。",
        "说好的项目折扣没有体现在发票上。",
    ),
}
SURVEY_TEXTS: dict[int, tuple[str, ...]] = {
    5: (
        "{product} 运行稳定，服务很到位。",
        "响应及时，安装一次到位。",
        "整体很满意，会继续合作。",
        "工程师很专业，问题当天就解决了。",
        "{product} 上线顺利，数据很准。",
    ),
    4: (
        "总体满意，交付稍慢了一点。",
        "{product} 好用，培训可以再细一些。",
        "服务不错，希望报价更透明。",
        "{product} 稳定，说明书可以再清楚些。",
    ),
    3: (
        "产品还行，售后响应一般。",
        "{product} 能用，但调试时间偏长。",
        "一般，沟通效率有待提高。",
    ),
    2: (
        "问题处理太慢，不太满意。",
        "{product} 故障偏多，体验较差。",
    ),
    1: (
        "非常不满意，问题一直没有解决。",
        "交付和售后都很差。",
    ),
}
COMPLIANCE_KINDS: dict[str, tuple[float, tuple[str, ...], tuple[str, ...]]] = {
    # kind: (weight, severities to draw from, notes)
    "late_report": (0.40, ("low", "low", "medium"), ("周库存报表逾期提交。", "季度销售报表晚交一周。")),
    "cross_region_sale": (
        0.25,
        ("medium", "medium", "high"),
        ("向授权区域外的客户供货。", "在相邻城市投标，未报备区域总代。"),
    ),
    "price_below_floor": (0.20, ("medium", "high"), ("成交价低于渠道最低限价。", "项目报价低于限价且未申请特价。")),
    "unauthorised_subdealer": (0.10, ("medium", "high"), ("通过未授权的二级经销商出货。",)),
    "data_falsification": (0.05, ("high",), ("报表中的终端客户信息与实际不符。",)),
}

INVENTORY_COLUMNS = ("week", "partner_id", "product_id", "sell_in_units", "sell_through_units", "stock_units")
FEEDBACK_COLUMNS = (
    "feedback_id",
    "date",
    "partner_id",
    "customer_id",
    "product_id",
    "kind",
    "score",
    "category",
    "status",
    "text",
)
SERVICE_COLUMNS = ("record_id", "partner_id", "kind", "opened_at", "first_response_minutes", "resolved_minutes")
COMPLIANCE_COLUMNS = ("record_id", "partner_id", "date", "kind", "severity", "note")


class MarginError(Exception):
    """The generated data misses a documented margin (change the constants, not the check)."""


@dataclass(frozen=True)
class Partner:
    id: str
    region: str
    satisfaction: dict[str, int]


@dataclass(frozen=True)
class Order:
    id: str
    day: date
    partner_id: str
    customer_id: str
    new_customer: bool
    product_id: str
    amount: Decimal
    returned: bool


@dataclass
class Inputs:
    partners: list[Partner]
    orders: list[Order]
    prices: dict[str, int]


@dataclass
class Output:
    inventory: list[tuple[date, str, str, int, int, int]] = field(default_factory=list)
    feedback: list[dict[str, str]] = field(default_factory=list)
    service: list[tuple[str, str, str, str, int, int | None]] = field(default_factory=list)
    compliance: list[tuple[str, str, date, str, str, str]] = field(default_factory=list)
    planted: list[dict[str, str]] = field(default_factory=list)


# -- shared measures -------------------------------------------------------------------------


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def units(amount: Decimal, price: int) -> int:
    """Whole units of ``amount`` yuan at ``price`` (half up)."""
    return int((amount / Decimal(price)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def days_of_inventory(stock: list[int], sell_through: list[int], index: int) -> float:
    """Stock at week ``index`` / mean daily sell-through over the 4 weeks ending there (fewer at
    the start); infinite when nothing sold and something is on hand, 0 when nothing is on hand."""
    if stock[index] == 0:
        return 0.0
    window = sell_through[max(0, index - 3) : index + 1]
    daily = sum(window) / (7 * len(window))
    return math.inf if daily == 0 else stock[index] / daily


def robust_z(values: dict[str, float]) -> dict[str, float]:
    """(value - median) / (1.4826 * MAD) of each key; MAD 0 is refused (no robust scale)."""
    median = statistics.median(values.values())
    mad = statistics.median(abs(v - median) for v in values.values())
    if mad == 0:
        raise MarginError("median absolute deviation 0: no robust scale")
    return {k: (v - median) / (MAD_SCALE * mad) for k, v in values.items()}


def smaller_drop(means: list[float], index: int) -> float:
    """min(m[q-2] - m[q-1], m[q-1] - m[q]): positive when the mean fell in both quarters."""
    return min(means[index - 2] - means[index - 1], means[index - 1] - means[index])


# -- inputs ----------------------------------------------------------------------------------


def read_inputs(channels_file: Path, orders_file: Path, products_dir: Path) -> Inputs:
    channels = yaml.safe_load(channels_file.read_text(encoding="utf-8"))
    partners = [
        Partner(id=n["id"], region=n["region"], satisfaction={str(k): int(v) for k, v in n["satisfaction"].items()})
        for n in channels["nodes"]
        if n["level"] == "partner"
    ]
    prices: dict[str, int] = {}
    for path in sorted(products_dir.glob("*.yaml")):
        for product in yaml.safe_load(path.read_text(encoding="utf-8")):
            prices[product["id"]] = int(product["price"]["list_price"])
    orders: list[Order] = []
    with orders_file.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            orders.append(
                Order(
                    id=row["order_id"],
                    day=date.fromisoformat(row["date"]),
                    partner_id=row["partner_id"],
                    customer_id=row["customer_id"],
                    new_customer=row["new_customer"] == "true",
                    product_id=row["product_id"],
                    amount=Decimal(row["amount"]),
                    returned=row["status"] == "returned",
                )
            )
    return Inputs(partners=partners, orders=orders, prices=prices)


# -- inventory -------------------------------------------------------------------------------


def sell_in_units(inputs: Inputs) -> dict[tuple[str, str], list[int]]:
    """Weekly sell-in units per (partner, product) from the ledger (contract formula)."""
    booked: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    returned: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    for order in inputs.orders:
        target = returned if order.returned else booked
        target[(order.partner_id, order.product_id, week_of(order.day))] += order.amount
    result: dict[tuple[str, str], list[int]] = {}
    for pid, product in {(o.partner_id, o.product_id) for o in inputs.orders}:
        price = inputs.prices[product]
        result[(pid, product)] = [
            max(
                0,
                units(booked.get((pid, product, w), Decimal(0)), price)
                - units(returned.get((pid, product, w), Decimal(0)), price),
            )
            for w in WEEKS
        ]
    return result


@dataclass
class Series:
    sell_in: list[int]
    sell_through: list[int]
    stock: list[int]


def simulate(rng: random.Random, sell_in: list[int], *, frozen: range = range(0)) -> Series:
    """Stock and sell-through of one partner-product.  Each week sells ``ceil(share * on hand)``
    (at least one unit when anything is on hand), share in [0.36, 0.715]: so stock / sell-through
    of the week <= 0.64 / 0.36 and days of inventory <= 28 * 0.64 / 0.36 < 50 by construction.
    In the ``frozen`` weeks (a planted overstock run) almost nothing sells."""
    share = rng.uniform(0.40, 0.65)
    opening = round(sum(sell_in) / WEEK_COUNT * rng.uniform(0.5, 1.5))
    stock, through = [], []
    on_hand = opening
    for index, arriving in enumerate(sell_in):
        noise = rng.uniform(0.9, 1.1)  # drawn every week, so a frozen run leaves later draws alone
        available = on_hand + arriving
        if index in frozen:
            sold = available // 40  # 0 unless 40 or more on hand
        else:
            sold = min(available, max(1, math.ceil(share * noise * available))) if available else 0
        on_hand = available - sold
        stock.append(on_hand)
        through.append(sold)
    return Series(sell_in=sell_in, sell_through=through, stock=stock)


def _entity_rng(*parts: str) -> random.Random:
    return random.Random(":".join((str(SEED), *parts)))


def inventory(inputs: Inputs, out: Output) -> None:
    weekly = sell_in_units(inputs)
    carried: dict[str, list[str]] = {}
    for partner in inputs.partners:
        products = [(prod, series) for (pid, prod), series in weekly.items() if pid == partner.id and sum(series) > 0]
        products.sort(key=lambda item: (-sum(item[1]), item[0]))
        carried[partner.id] = sorted(prod for prod, _ in products[:MAX_PRODUCTS])
    planted_runs: dict[tuple[str, str], range] = {}
    for pid, quarter in OVERSTOCK.items():
        product, run = _overstock_run(pid, quarter, carried[pid], weekly)
        planted_runs[(pid, product)] = run
    for partner in inputs.partners:
        for product in carried[partner.id]:
            run = planted_runs.get((partner.id, product), range(0))
            series = simulate(_entity_rng("inventory", partner.id, product), weekly[(partner.id, product)], frozen=run)
            _check_inventory(partner.id, product, series, run)
            if run:
                out.planted.append(
                    {
                        "rule": "overstock",
                        "partner_id": partner.id,
                        "period": WEEKS[run.start].isoformat(),
                        "note": f"{product}: sell-in of {sum(series.sell_in[i] for i in run)} units over "
                        f"{len(run)} weeks, sell-through {sum(series.sell_through[i] for i in run)}",
                    }
                )
            for index, week in enumerate(WEEKS):
                out.inventory.append(
                    (
                        week,
                        partner.id,
                        product,
                        series.sell_in[index],
                        series.sell_through[index],
                        series.stock[index],
                    )
                )


def _overstock_run(
    pid: str, quarter: str, products: list[str], weekly: dict[tuple[str, str], list[int]]
) -> tuple[str, range]:
    """Choose the planted run of ``pid``: the first week of ``quarter`` (and product) where a
    product with no stock for the three weeks before gets ``MIN_LUMP`` units or more; among
    candidate products the largest sell-in over the run wins."""
    start, end = QUARTERS[quarter]
    best: tuple[int, int, str] | None = None  # (-(sell-in over the run), first week, product)
    for product in products:
        clean = simulate(_entity_rng("inventory", pid, product), weekly[(pid, product)])
        for index, week in enumerate(WEEKS):
            if not start <= week <= end or index < 4:
                continue
            quiet = all(clean.stock[i] == 0 and clean.sell_through[i] == 0 for i in range(index - 3, index))
            if quiet and clean.sell_in[index] >= MIN_LUMP:
                run = range(index, min(index + RUN_WEEKS, WEEK_COUNT))
                key = (-sum(clean.sell_in[i] for i in run), index, product)
                if best is None or key < best:
                    best = key
                break
    if best is None:
        raise MarginError(f"no overstock run for {pid} in {quarter}: choose another partner or quarter")
    return best[2], range(best[1], min(best[1] + RUN_WEEKS, WEEK_COUNT))


def _check_inventory(pid: str, product: str, series: Series, run: range) -> None:
    for index in range(WEEK_COUNT):
        doi = days_of_inventory(series.stock, series.sell_through, index)
        if index in run and doi <= MARGINS["overstock_planted_min_days"]:
            raise MarginError(f"{pid} {product} {WEEKS[index]}: planted run at only {doi:.1f} days")
        if index not in run and doi > MARGINS["overstock_clean_max_days"]:
            raise MarginError(f"{pid} {product} {WEEKS[index]}: clean week at {doi:.1f} days")


# -- feedback --------------------------------------------------------------------------------


def _served(inputs: Inputs) -> dict[tuple[str, str], dict[str, tuple[date, list[str]]]]:
    """Per (partner, quarter): customer -> (first booked order day in the quarter, products)."""
    served: dict[tuple[str, str], dict[str, tuple[date, list[str]]]] = defaultdict(dict)
    for order in sorted(inputs.orders, key=lambda o: (o.day, o.id)):
        if order.returned:
            continue
        customers = served[(order.partner_id, quarter_of(order.day))]
        _first, products = customers.setdefault(order.customer_id, (order.day, []))
        if order.product_id not in products:
            products.append(order.product_id)
    return served


Served = dict[tuple[str, str], dict[str, tuple[date, list[str]]]]


def _complaint_counts(inputs: Inputs, served: Served) -> dict[tuple[str, str], int]:
    """Complaints per partner-quarter: clean ones spread over a band, then lowered until no
    clean partner is more than ``complaint_clean_max_z`` above its region; planted ones raised
    until they are ``complaint_planted_min_z`` + 1 above."""
    counts: dict[tuple[str, str], int] = {}
    regions: dict[str, list[str]] = defaultdict(list)
    for partner in inputs.partners:
        regions[partner.region].append(partner.id)
    for region, pids in sorted(regions.items()):
        for quarter in QUARTERS:
            rng = _entity_rng("complaints", region, quarter)
            size = {pid: len(served[(pid, quarter)]) for pid in pids}
            # Stratified over the band, so rates rarely tie (a tie of half the region leaves no MAD).
            order = rng.sample(pids, len(pids))
            for position, pid in enumerate(order):
                rate = CLEAN_COMPLAINT_BAND[0] + (CLEAN_COMPLAINT_BAND[1] - CLEAN_COMPLAINT_BAND[0]) * (
                    position + rng.random()
                ) / len(order)
                counts[(pid, quarter)] = round(size[pid] * rate)
            clean = [pid for pid in pids if COMPLAINT_OUTLIERS.get(pid) != quarter]
            while True:  # clean partners at most complaint_clean_max_z above the region
                z = robust_z({pid: counts[(pid, quarter)] / size[pid] for pid in pids})
                high = [pid for pid in clean if z[pid] > MARGINS["complaint_clean_max_z"]]
                if not high:
                    break
                for pid in high:
                    counts[(pid, quarter)] -= 1
            for pid in pids:
                if pid in clean:
                    continue
                while robust_z({p: counts[(p, quarter)] / size[p] for p in pids})[pid] < (
                    MARGINS["complaint_planted_min_z"] + 0.5
                ):
                    counts[(pid, quarter)] += 1
            z = robust_z({pid: counts[(pid, quarter)] / size[pid] for pid in pids})
            for pid in pids:
                if pid in clean and z[pid] > MARGINS["complaint_clean_max_z"]:
                    raise MarginError(f"{pid} {quarter}: clean complaint rate at z {z[pid]:.2f}")
                if pid not in clean and z[pid] < MARGINS["complaint_planted_min_z"]:
                    raise MarginError(f"{pid} {quarter}: planted complaint rate at z {z[pid]:.2f}")
    return counts


def _survey_targets(partner: Partner, sizes: list[int]) -> list[int]:
    """The sum of survey scores per quarter (so each quarter's mean is exact)."""
    rng = _entity_rng("surveys", partner.id)
    level = min(4.55, max(3.45, 1 + 4 * statistics.mean(partner.satisfaction.values()) / 100))
    steps = FALLING.get(partner.id)
    if steps is None:  # clean: in every two consecutive steps at least one rises
        rise = (rng.uniform(0.12, 0.3), rng.uniform(0.12, 0.3))
        if rng.random() < 0.5:
            steps = (rng.uniform(-0.25, 0.15), rise[0], rng.uniform(-0.25, 0.15))
        else:
            steps = (rise[0], rng.uniform(-0.25, 0.1), rise[1])
    means = [level - sum(steps) / 2]
    for step in steps:
        means.append(means[-1] + step)
    totals = [min(5 * n, max(n, round(m * n))) for m, n in zip(means, sizes, strict=True)]
    realised = [t / n for t, n in zip(totals, sizes, strict=True)]
    planted = {i for i in (2, 3) if FALLING.get(partner.id) and smaller_drop(means, i) > 0}
    for index in (2, 3):
        drop = smaller_drop(realised, index)
        if index in planted and drop < MARGINS["satisfaction_planted_min_drop"]:
            raise MarginError(f"{partner.id} Q{index + 1}: planted fall only {drop:.3f}")
        if index not in planted and drop > MARGINS["satisfaction_clean_max_drop"]:
            raise MarginError(f"{partner.id} Q{index + 1}: clean fall {drop:.3f}")
    return totals


def _scores(rng: random.Random, total: int, count: int) -> list[int]:
    """``count`` scores 1..5 (mostly 3-5) summing exactly to ``total``."""
    mean = total / count
    scores = [min(5, max(1, round(rng.gauss(mean, 0.7)))) for _ in range(count)]
    while sum(scores) != total:
        index = rng.randrange(count)
        if sum(scores) < total and scores[index] < 5:
            scores[index] += 1
        elif sum(scores) > total and scores[index] > 1:
            scores[index] -= 1
    return scores


def _complaint_status(rng: random.Random, day: date) -> str:
    age = (AS_OF - day).days
    if age <= 14:
        return rng.choice(("open", "open", "in_progress"))
    if age <= 45:
        return rng.choice(("in_progress", "closed", "closed"))
    return "closed" if rng.random() < 0.95 else "in_progress"


def feedback(inputs: Inputs, out: Output) -> None:
    served = _served(inputs)
    complaints = _complaint_counts(inputs, served)
    rows: list[tuple[date, str, int, dict[str, str]]] = []
    for partner in inputs.partners:
        rng = _entity_rng("feedback", partner.id)
        sizes = [rng.randint(2, 3) * len(served[(partner.id, q)]) for q in QUARTERS]
        totals = _survey_targets(partner, sizes)
        # A category this partner tends to get complaints about (its weak spot), then others.
        weak = rng.choice(CATEGORIES)
        for (quarter, (_, end)), size, total in zip(QUARTERS.items(), sizes, totals, strict=True):
            customers = served[(partner.id, quarter)]
            ids = sorted(customers)
            for kind, count in (("survey", size), ("complaint", complaints[(partner.id, quarter)])):
                scores = _scores(rng, total, size) if kind == "survey" else []
                for number in range(count):
                    customer = rng.choice(ids)
                    first, products = customers[customer]
                    day = first + timedelta(days=rng.randint(0, (end - first).days))
                    product = rng.choice(products)
                    row = {"partner_id": partner.id, "customer_id": customer, "product_id": product, "kind": kind}
                    if kind == "survey":
                        score = scores[number]
                        template = rng.choice(SURVEY_TEXTS[score])
                        row |= {"score": str(score), "category": "", "status": "closed"}
                    else:
                        category = weak if rng.random() < 0.4 else rng.choice(CATEGORIES)
                        template = rng.choice(COMPLAINT_TEXTS[category])
                        row |= {"score": "", "category": category, "status": _complaint_status(rng, day)}
                    row["text"] = template.format(product=product)
                    rows.append((day, partner.id, len(rows), row))
    rows.sort(key=lambda item: (item[0], item[1], item[2]))
    for number, (day, _, _, row) in enumerate(rows, start=1):
        out.feedback.append({"feedback_id": f"FB-2026-{number:05d}", "date": day.isoformat(), **row})
    for (pid, quarter), _count in sorted(complaints.items()):
        if COMPLAINT_OUTLIERS.get(pid) == quarter:
            out.planted.append(
                {
                    "rule": "complaint_rate",
                    "partner_id": pid,
                    "period": quarter,
                    "note": f"{complaints[(pid, quarter)]} complaints from {len(served[(pid, quarter)])} customers "
                    "served, far above the region's median",
                }
            )
    for pid, steps in FALLING.items():
        for index in (2, 3):
            if max(steps[index - 2], steps[index - 1]) < 0:  # fell in both quarters
                out.planted.append(
                    {
                        "rule": "satisfaction_falling",
                        "partner_id": pid,
                        "period": list(QUARTERS)[index],
                        "note": "survey mean fell in each of the two quarters before",
                    }
                )


# -- service and compliance ------------------------------------------------------------------


def _opened_at(rng: random.Random) -> datetime:
    """A working-hours moment of 2026 (09:00-18:00 China time = 01:00-10:00 UTC)."""
    day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 364))
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, rng.randint(1, 9), rng.randint(0, 59))


def service(inputs: Inputs, out: Output) -> None:
    rows: list[tuple[datetime, str, str, int, int | None]] = []
    for partner in inputs.partners:
        rng = _entity_rng("service", partner.id)
        slow = 1.8 if partner.id in COMPLAINT_OUTLIERS else 1.0  # partners with many complaints answer late
        ticket_median = rng.uniform(25, 180) * slow
        handoff_median = rng.uniform(3, 20) * slow
        for kind, count, median, fix_hours in (
            ("ticket", rng.randint(14, 40), ticket_median, rng.uniform(4, 30)),
            ("handoff", rng.randint(4, 14), handoff_median, rng.uniform(1, 8)),
        ):
            for _ in range(count):
                opened = _opened_at(rng)
                first = max(1, round(rng.lognormvariate(math.log(median), 0.6)))
                resolved: int | None = first + max(5, round(rng.lognormvariate(math.log(fix_hours * 60), 0.7)))
                if opened + timedelta(minutes=resolved or 0) > EXPORTED_AT:
                    resolved = None  # still open when the data was exported
                rows.append((opened, partner.id, kind, first, resolved))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    for number, (opened, pid, kind, first, resolved) in enumerate(rows, start=1):
        out.service.append((f"SV-2026-{number:05d}", pid, kind, opened.strftime("%Y-%m-%dT%H:%M:%SZ"), first, resolved))


def compliance(inputs: Inputs, out: Output) -> None:
    kinds = list(COMPLIANCE_KINDS)
    weights = [COMPLIANCE_KINDS[k][0] for k in kinds]
    risky = {p for ps in LEDGER_SCENARIO_PARTNERS.values() for p in ps}
    rows: list[tuple[date, str, str, str, str]] = []
    for partner in inputs.partners:
        rng = _entity_rng("compliance", partner.id)
        count = rng.choice((0, 0, 1, 1, 1, 2, 2, 3)) + (2 if partner.id in risky else 0)
        for _ in range(count):
            kind = rng.choices(kinds, weights)[0]
            _, severities, notes = COMPLIANCE_KINDS[kind]
            day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 364))
            rows.append((day, partner.id, kind, rng.choice(severities), rng.choice(notes)))
    rows.sort()
    for number, (day, pid, kind, severity, note) in enumerate(rows, start=1):
        out.compliance.append((f"CP-2026-{number:04d}", pid, day, kind, severity, note))


# -- ledger patterns (read from orders.csv) --------------------------------------------------


@dataclass
class LedgerQuarter:
    booked: Decimal = Decimal(0)
    returned: Decimal = Decimal(0)
    late: Decimal = Decimal(0)
    late_existing: Decimal = Decimal(0)
    late_new_orders: int = 0

    @property
    def net(self) -> Decimal:
        return self.booked - self.returned


def ledger_quarters(orders: list[Order]) -> dict[tuple[str, str], LedgerQuarter]:
    result: dict[tuple[str, str], LedgerQuarter] = defaultdict(LedgerQuarter)
    for order in orders:
        quarter = quarter_of(order.day)
        entry = result[(order.partner_id, quarter)]
        if order.returned:
            entry.returned += order.amount
            continue
        entry.booked += order.amount
        if (QUARTERS[quarter][1] - order.day).days < LATE_DAYS:
            entry.late += order.amount
            if order.new_customer:
                entry.late_new_orders += 1
            else:
                entry.late_existing += order.amount
    return result


def edge_without_new(entry: LedgerQuarter) -> bool:
    """Net just over a tier edge (< 5% above), below it without the late orders to existing
    customers, and no late order to a new customer."""
    for edge in TIER_EDGES:
        if edge <= entry.net < edge * (1 + EDGE_MARGIN) and entry.net - entry.late_existing < edge:
            return entry.late_new_orders == 0
    return False


def ledger_patterns(inputs: Inputs, out: Output) -> None:
    quarters = ledger_quarters(inputs.orders)
    for (pid, quarter), entry in sorted(quarters.items()):
        measures = {
            "return_spike": float(entry.returned / entry.booked),
            "quarter_end_stuffing": float(entry.late / entry.booked),
        }
        for rule, value in measures.items():
            scenario = pid in LEDGER_SCENARIO_PARTNERS[rule]
            if value >= LEDGER_RULES[rule]["planted_min"] and scenario:
                out.planted.append(
                    {"rule": rule, "partner_id": pid, "period": quarter, "note": f"{rule} measure {value:.3f}"}
                )
            elif value > LEDGER_RULES[rule]["clean_max"]:
                raise MarginError(f"{pid} {quarter}: {rule} measure {value:.3f} is neither clean nor planted")
        if edge_without_new(entry):
            if pid not in LEDGER_SCENARIO_PARTNERS["tier_edge_no_new"]:
                raise MarginError(f"{pid} {quarter}: over a tier edge without new customers, not a scenario")
            out.planted.append(
                {
                    "rule": "tier_edge_no_new",
                    "partner_id": pid,
                    "period": quarter,
                    "note": f"net {entry.net} just over an edge on late orders of existing customers "
                    f"({entry.late_existing})",
                }
            )


# -- output ----------------------------------------------------------------------------------


def generate(inputs: Inputs) -> Output:
    out = Output()
    inventory(inputs, out)
    feedback(inputs, out)
    service(inputs, out)
    compliance(inputs, out)
    ledger_patterns(inputs, out)
    out.planted.sort(key=lambda p: (p["rule"], p["partner_id"], p["period"]))
    return out


def _csv(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
    return buffer.getvalue()


PLANTED_HEADER = """\
# Risk patterns planted on purpose in the channel operations data (generated by
# corpus/ops/generate_ops.py; do not edit).  One entry per (rule, partner, period): a quarter
# (2026Q3) or, for overstock, the Monday of the first week of the run.  Every other
# partner-period is clean with the margins of corpus/ops/README.md.
"""


def render(out: Output) -> dict[str, str]:
    return {
        "inventory.csv": _csv(INVENTORY_COLUMNS, list(out.inventory)),
        "feedback.csv": _csv(FEEDBACK_COLUMNS, [tuple(r[c] for c in FEEDBACK_COLUMNS) for r in out.feedback]),
        "service.csv": _csv(SERVICE_COLUMNS, list(out.service)),
        "compliance.csv": _csv(COMPLIANCE_COLUMNS, list(out.compliance)),
        "planted.yaml": PLANTED_HEADER
        + yaml.safe_dump(out.planted, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=None),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--channels", type=Path, default=CORPUS / "rebates" / "channels.yaml")
    parser.add_argument("--orders", type=Path, default=CORPUS / "rebates" / "orders.csv")
    parser.add_argument("--products", type=Path, default=CORPUS / "products")
    parser.add_argument("--out-dir", type=Path, default=HERE)
    parser.add_argument("--check", action="store_true", help="only check that the files in --out-dir are up to date")
    args = parser.parse_args(argv)
    files = render(generate(read_inputs(args.channels, args.orders, args.products)))
    if args.check:
        stale = [
            name
            for name, text in files.items()
            if not (args.out_dir / name).exists() or (args.out_dir / name).read_text(encoding="utf-8") != text
        ]
        if stale:
            print(f"{', '.join(stale)} in {args.out_dir} stale; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out_dir / name).write_text(text, encoding="utf-8")
        print(f"wrote {text.count(chr(10)) - 1} lines to {args.out_dir / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
