"""Generate ``corpus/rebates/orders.csv`` from ``channels.yaml`` — deterministic (fixed seed).

Usage::

    python corpus/rebates/generate_orders.py            # rewrite orders.csv next to this file
    python corpus/rebates/generate_orders.py --check    # exit 1 if orders.csv is not what it would write

Every leaf partner gets orders in 2026Q1..2026Q4.  Most partners follow a default
pattern (net sales around their baseline, growing a little, 8-30% to new customers,
a few returns, orders spread evenly).  ``SCENARIOS`` below plants the cases the
rebate engine, the ranking and the demo must show, with exact quarterly net sales
where a tier edge matters (tiers: 500,000 / 1,500,000 / 3,000,000):

* just below a tier edge: P-HZ-01 2026Q2, P-HZ-03 2026Q1, P-SU-01 2026Q3,
  P-WH-01 2026Q4, P-CQ-02 2026Q2; exactly on an edge: P-CD-01 2026Q1 (1,500,000.00);
* quarter-end spikes (half or more booked in the last two weeks): P-NB-01 2026Q1/Q4,
  P-TJ-01 2026Q2, P-GZ-02 2026Q3, P-CS-01 2026Q3;
* high return rates: P-SU-02, P-CQ-01 (2026Q1-Q2), P-GZ-02, P-CS-01;
* increments without new customers: P-WH-02 2026Q1, P-SU-03 2026Q2-Q3, P-BJ-02 2026Q4;
* just over an edge thanks to late orders from existing customers: P-NB-03 2026Q2,
  P-TJ-01 2026Q2;
* a return crossing a tier down: P-SZ-02 returns a 186,000 order of 2026Q2 on 2026-09-29,
  which drops it from T3 to T2;
* baseline floor: P-TJ-03 sells ~150,000 a quarter, so its adjusted baseline is floored
  at 300,000;
* new-market claims (channels.yaml) get matching new customers in the claimed
  industry or city; P-SZ-01's 2026Q2 claim exceeds the 50,000 cap.

Net sales = booked - returns dated in the quarter, so each quarter's booked orders
are generated to hit the planned net exactly, after planned returns.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

SEED = 20260101
HERE = Path(__file__).resolve().parent
QUARTERS = {
    "2026Q1": (date(2026, 1, 1), date(2026, 3, 31)),
    "2026Q2": (date(2026, 4, 1), date(2026, 6, 30)),
    "2026Q3": (date(2026, 7, 1), date(2026, 9, 30)),
    "2026Q4": (date(2026, 10, 1), date(2026, 12, 31)),
}
LATE_DAYS = 14
COLUMNS = (
    "order_id",
    "date",
    "partner_id",
    "customer_id",
    "new_customer",
    "product_id",
    "amount",
    "status",
    "reverses",
    "industry",
    "city",
)
# Product ids from docs/catalogue.md, by product line.
PRODUCTS = {
    "EG": ["EG-1100", "EG-2100", "EG-2100-Pro", "EG-3200", "EG-3200-5G", "EG-4500-Pro", "EG-5800", "EG-mini-S"],
    "SN": [
        "SN-VB300",
        "SN-VB500-Pro",
        "SN-TH100",
        "SN-PT200",
        "SN-FL400",
        "SN-EM600",
        "SN-GS700",
        "SN-LV800",
        "SN-CU120",
    ],
    "EC": ["EC-100", "EC-300", "EC-500-Pro", "EC-700-R", "EC-IO16", "EC-IO32", "EC-MT20"],
    "MP": ["MP-CLD-STD", "MP-CLD-ENT", "MP-ONP", "MP-PDM", "MP-EMS", "MP-OEE", "MP-APP"],
    "AR": ["AR-G1", "AR-G2-Pro", "AR-H5", "AR-T10-EX", "AR-LINK", "AR-KIT-S"],
    "CM": ["CM-SW8", "CM-SW16-PoE", "CM-LR1", "CM-DTU100", "CM-AP5"],
}
REGION_CITIES = {
    "华东": ["杭州", "苏州", "宁波", "上海", "南京", "无锡", "合肥", "常州"],
    "华南": ["深圳", "广州", "东莞", "佛山", "厦门", "福州"],
    "华北": ["北京", "天津", "石家庄", "唐山", "太原"],
    "西南": ["成都", "重庆", "昆明", "贵阳"],
    "华中": ["武汉", "长沙", "郑州", "南昌"],
}
INDUSTRIES = [
    "汽车制造",
    "电子制造",
    "食品饮料",
    "制药",
    "化工",
    "钢铁冶金",
    "电力能源",
    "水务",
    "纺织",
    "物流仓储",
    "矿山",
    "楼宇园区",
    "机械加工",
    "石油天然气",
]


@dataclass
class Scenario:
    net: dict[str, str] = field(default_factory=dict)  # exact planned net sales per quarter
    late_share: dict[str, float] = field(default_factory=dict)  # share booked in the last 14 days
    late_new: bool = True  # False: late orders go to existing customers only
    return_rate: dict[str, float] = field(default_factory=dict)
    new_share: dict[str, float] = field(default_factory=dict)  # 0.0 = no new customers
    big_late_order: dict[str, str] = field(default_factory=dict)  # one big late order (existing customer)
    return_big_in: dict[str, str] = field(default_factory=dict)  # quarter -> date the big order is returned


ALL = tuple(QUARTERS)
SCENARIOS: dict[str, Scenario] = {
    "P-HZ-01": Scenario(net={"2026Q1": "1362450.00", "2026Q2": "1493600.00"}),
    "P-HZ-03": Scenario(net={"2026Q1": "497800.00"}),
    "P-SU-01": Scenario(net={"2026Q3": "2985400.00", "2026Q4": "3126700.00"}),
    "P-WH-01": Scenario(net={"2026Q4": "2991000.00"}),
    "P-CQ-02": Scenario(net={"2026Q2": "496500.00"}),
    "P-CD-01": Scenario(net={"2026Q1": "1500000.00"}),
    "P-NB-01": Scenario(late_share={"2026Q1": 0.55, "2026Q4": 0.58}),
    "P-TJ-01": Scenario(net={"2026Q2": "1521300.00"}, late_share={"2026Q2": 0.5}, late_new=False),
    "P-NB-03": Scenario(net={"2026Q2": "507300.00"}, late_share={"2026Q2": 0.3}, late_new=False),
    "P-GZ-02": Scenario(late_share={"2026Q3": 0.6}, return_rate=dict.fromkeys(ALL, 0.2)),
    "P-CS-01": Scenario(late_share={"2026Q3": 0.5}, return_rate=dict.fromkeys(ALL, 0.18)),
    "P-SU-02": Scenario(return_rate=dict.fromkeys(ALL, 0.22)),
    "P-CQ-01": Scenario(return_rate={"2026Q1": 0.25, "2026Q2": 0.26}),
    "P-WH-02": Scenario(net={"2026Q1": "905000.00"}, new_share={"2026Q1": 0.0}),
    "P-SU-03": Scenario(
        net={"2026Q1": "760000.00", "2026Q2": "880000.00", "2026Q3": "960000.00"},
        new_share={"2026Q2": 0.0, "2026Q3": 0.0},
    ),
    "P-BJ-02": Scenario(
        net={"2026Q1": "1050000.00", "2026Q2": "1080000.00", "2026Q3": "1120000.00", "2026Q4": "1310000.00"},
        new_share={"2026Q4": 0.0},
    ),
    "P-SZ-02": Scenario(
        net={"2026Q1": "830000.00", "2026Q2": "1620000.00", "2026Q3": "1452300.00"},
        big_late_order={"2026Q2": "186000.00"},
        return_big_in={"2026Q3": "2026-09-29"},
    ),
    "P-TJ-03": Scenario(net=dict(zip(ALL, ["152300.00", "148900.00", "161200.00", "157450.00"], strict=True))),
    "P-SZ-01": Scenario(net={"2026Q2": "4580000.00"}, new_share={"2026Q2": 0.6}),
}


@dataclass
class Customer:
    id: str
    industry: str
    city: str
    first_quarter: str | None  # None: customer from before 2026


@dataclass
class Row:
    date: date
    partner_id: str
    customer: Customer
    new_customer: bool
    product_id: str
    cents: int
    returned_of: Row | None = None
    key: int = 0
    order_id: str = ""


def split_exact(rng: random.Random, total: int, count: int) -> list[int]:
    """``count`` positive amounts in cents (mostly whole 10 yuan) summing exactly to ``total``."""
    count = max(1, min(count, total // 100_000 or 1))
    while True:
        weights = [rng.uniform(0.4, 1.6) for _ in range(count)]
        scale = total / sum(weights)
        parts = [int(w * scale) // 1000 * 1000 for w in weights[:-1]]
        last = total - sum(parts)
        if last > 0 and all(p > 0 for p in parts):
            return [*parts, last]
        count = max(1, count - 1)


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def generate(channels: dict[str, Any], seed: int = SEED) -> list[Row]:
    rng = random.Random(seed)
    rows: list[Row] = []
    for node in channels["nodes"]:
        if node["level"] != "partner":
            continue
        rows.extend(_partner_rows(rng, node))
    rows.sort(key=lambda r: (r.date, r.returned_of is not None, r.partner_id, r.key))
    booked = returns = 0
    for row in rows:
        if row.returned_of is None:
            booked += 1
            row.order_id = f"SO-2026-{booked:05d}"
        else:
            returns += 1
            row.order_id = f"RT-2026-{returns:05d}"
    return rows


def _partner_rows(rng: random.Random, node: dict[str, Any]) -> list[Row]:
    pid: str = node["id"]
    short = pid[2:].replace("-", "")
    scenario = SCENARIOS.get(pid, Scenario())
    specialty: str = node["specialty"]
    cities = REGION_CITIES[node["region"]]
    home: str = node["city"]
    claims = node.get("claims", [])
    counter = iter(range(1, 10_000))

    def new_customer_obj(quarter: str | None, industry: str | None = None, city: str | None = None) -> Customer:
        number = next(counter)
        return Customer(
            id=f"C-{short}-{number:03d}",
            industry=industry or rng.choice(INDUSTRIES),
            city=city or (home if rng.random() < 0.55 else rng.choice(cities)),
            first_quarter=quarter,
        )

    existing = [new_customer_obj(None) for _ in range(rng.randint(6, 11))]
    baseline = cents(str(next(iter(node["baseline"].values()))))
    level = baseline * rng.uniform(0.88, 1.22)
    rows: list[Row] = []
    previous_booked: list[Row] = []
    returned: set[int] = set()
    big_orders: list[Row] = []
    key = iter(range(1, 100_000))

    def product() -> str:
        line = specialty if rng.random() < 0.7 else rng.choice(list(PRODUCTS))
        return rng.choice(PRODUCTS[line])

    def add(day: date, customer: Customer, is_new: bool, amount: int, returned_of: Row | None = None) -> Row:
        row = Row(
            date=day,
            partner_id=pid,
            customer=customer,
            new_customer=is_new,
            product_id=returned_of.product_id if returned_of else product(),
            cents=amount,
            returned_of=returned_of,
            key=next(key),
        )
        rows.append(row)
        return row

    for quarter, (start, end) in QUARTERS.items():
        late_from = end - timedelta(days=LATE_DAYS - 1)
        if quarter in scenario.net:
            net = cents(scenario.net[quarter])
        else:
            level *= rng.uniform(0.93, 1.17) if quarter != "2026Q1" else 1.0
            net = int(level) // 100 * 100 + rng.randint(0, 99)
        # 1. returns of previous-quarter orders booked in this quarter
        prev_returns: list[tuple[Row, date]] = []
        if quarter in scenario.return_big_in:
            for big in big_orders:
                prev_returns.append((big, date.fromisoformat(scenario.return_big_in[quarter])))
        rate = scenario.return_rate.get(quarter, rng.uniform(0.0, 0.04))
        if rate >= 0.1 and previous_booked:
            candidates = [r for r in previous_booked if id(r) not in returned and r.cents < net // 8]
            if candidates:
                prev_returns.append((rng.choice(candidates), random_day(rng, start, start + timedelta(days=40))))
        prev_total = sum(r.cents for r, _ in prev_returns)
        keep_total = net + prev_total
        this_quarter: list[Row] = []
        # 2. one big late order to an existing customer (returned next quarter)
        if quarter in scenario.big_late_order:
            amount = cents(scenario.big_late_order[quarter])
            big = add(random_day(rng, late_from, end), rng.choice(existing), False, amount)
            big_orders.append(big)
            this_quarter.append(big)
            keep_total -= amount
        # 3. new customers (matching this quarter's new-market claims) and their share
        new_share = scenario.new_share.get(quarter, rng.uniform(0.08, 0.3))
        markets = [c for c in claims if c["kind"] == "new_market" and str(c["quarter"]) == quarter]
        new_customers: list[Customer] = []
        if new_share > 0:
            for claim in markets:
                for _ in range(2):
                    new_customers.append(new_customer_obj(quarter, claim.get("industry"), claim.get("city")))
            for _ in range(rng.randint(1, 3)):
                new_customers.append(new_customer_obj(quarter))
        new_total = int(keep_total * new_share) if new_customers else 0
        late_share = scenario.late_share.get(quarter, rng.uniform(0.08, 0.2))
        groups: list[tuple[int, bool, bool]] = []  # (amount, new customer?, late?)
        if scenario.late_new:
            groups += [(int(new_total * late_share), True, True)]
            groups += [(new_total - groups[-1][0], True, False)]
            old_total = keep_total - new_total
            old_late = int(old_total * late_share)
            groups += [(old_late, False, True), (old_total - old_late, False, False)]
        else:  # late orders only to existing customers (crossing an edge without new customers)
            late_total = int(keep_total * late_share)
            groups += [(new_total, True, False), (late_total, False, True)]
            groups += [(keep_total - new_total - late_total, False, False)]
        ticket = max(800_000, keep_total // 22)  # cents; ~20 orders a quarter, at least 8,000 yuan
        for amount, is_new, late in groups:
            if amount <= 0:
                continue
            parts = split_exact(rng, amount, max(1, round(amount / ticket)))
            for part in parts:
                if is_new:
                    market_customers = new_customers[: 2 * len(markets)]
                    pool = market_customers if market_customers and rng.random() < 0.75 else new_customers
                    customer = rng.choice(pool)
                else:
                    customer = rng.choice(existing)
                day = random_day(rng, late_from, end) if late else random_day(rng, start, late_from - timedelta(days=1))
                this_quarter.append(add(day, customer, is_new, part))
        # 4. orders returned within the quarter (return rate), to existing customers
        returned_target = int(
            (rate * (keep_total + (big_orders[-1].cents if quarter in scenario.big_late_order else 0)) - prev_total)
            / (1 - rate)
        )
        if returned_target > 100_000:
            for part in split_exact(rng, returned_target, rng.randint(1, 4)):
                day = random_day(rng, start, end - timedelta(days=20))
                original = add(day, rng.choice(existing), False, part)
                add(min(end, day + timedelta(days=rng.randint(3, 30))), original.customer, False, part, original)
                returned.add(id(original))
        for original, day in prev_returns:
            returned.add(id(original))
            add(day, original.customer, original.new_customer, original.cents, original)
        previous_booked = this_quarter
        existing.extend(new_customers)
    return rows


def render(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.order_id,
                row.date.isoformat(),
                row.partner_id,
                row.customer.id,
                "true" if row.new_customer else "false",
                row.product_id,
                f"{Decimal(row.cents) / 100:.2f}",
                "returned" if row.returned_of else "booked",
                row.returned_of.order_id if row.returned_of else "",
                row.customer.industry,
                row.customer.city,
            ]
        )
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=Path, default=HERE / "channels.yaml")
    parser.add_argument("--out", type=Path, default=HERE / "orders.csv")
    parser.add_argument("--check", action="store_true", help="only check that --out is up to date")
    args = parser.parse_args(argv)
    channels = yaml.safe_load(args.channels.read_text(encoding="utf-8"))
    text = render(generate(channels))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10)) - 1} rows to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
