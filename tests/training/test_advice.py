"""Help before it is asked (issue 15, item 5): each signal gives its next step with a reason
that names it; lessons already completed are left out; another partner's questions, orders
and tasks are never read; the list is deterministic and bounded.  SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from assistant.training.advice import Advice, count_targets
from tests.training.path_world import DATA, REBATES, TODAY, World, make_world


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = make_world(database_url)
    yield w
    w.db.dispose()


def advise(world: World, username: str) -> tuple[Advice, ...]:
    return world.path.advice.advise(world.caller(username))


def of(steps: tuple[Advice, ...], signal: str) -> list[Advice]:
    return [a for a in steps if a.signal == signal]


def booked(partner: str, line: str) -> int:
    since = TODAY - timedelta(days=DATA.signals.lines.order_days)
    with (REBATES / "orders.csv").open(encoding="utf-8") as f:
        return sum(
            1
            for r in csv.DictReader(f)
            if r["partner_id"] == partner
            and r["status"] == "booked"
            and since.isoformat() <= r["date"] <= TODAY.isoformat()
            and r["product_id"].split("-")[0] == line
        )


def test_unanswered_and_thumbs_down_questions_recommend_the_lesson_of_their_line_and_topic(world: World) -> None:
    world.asked("hz_sales1", "EG-3200 上导轨怎么安装接线？")
    world.asked("hz_sales1", "EG-3200 安装时供电要注意什么")
    world.asked("hz_sales1", "EG-3200 安装完上电不亮", answered=True, down=True)  # answered, but rated down
    world.asked("hz_sales1", "EG-3200 安装手册在哪", answered=True)  # answered and not rated: no signal
    world.asked("hz_sales1", "EG-3200 接线图", days_ago=DATA.signals.unanswered.days + 2)  # too old
    steps = advise(world, "hz_sales1")
    first = steps[0]
    assert first.signal == "unanswered" and first.kind == "lesson" and first.lesson_id == "L-001"  # EG, installation
    days = DATA.signals.unanswered.days
    assert first.reason == f"你最近 {days} 天有 3 个关于 EG-3200 安装接线 的问题没有得到满意的解答"
    assert first.reason_en.startswith(f"In the last {days} days, 3 of your questions about EG-3200 installation")
    assert first.href == "/learn#lesson/L-001"


def test_a_question_naming_only_a_line_word_is_placed_on_that_line(world: World) -> None:
    world.asked("hz_sales1", "振动传感器的测点怎么选")  # SN by its words, no model named
    (step,) = of(advise(world, "hz_sales1"), "unanswered")
    assert step.lesson_id is not None and step.lesson_id.startswith("L-0")
    assert world.path.library.lessons[step.lesson_id].product_line == "SN"
    assert "工业传感器" in step.reason and "1 个" in step.reason


def test_a_question_of_no_line_is_placed_by_its_topic(world: World) -> None:
    world.asked("hz_sales1", "增量激励的返利政策怎么算", answered=True, down=True)
    (step,) = of(advise(world, "hz_sales1"), "unanswered")
    assert step.lesson_id == "L-025"  # the channel-policy lesson
    assert "1 个关于 渠道政策 的问题" in step.reason and "about Channel policy" in step.reason_en


def test_lines_of_open_tasks_and_of_the_partners_orders_recommend_their_first_lesson(world: World) -> None:
    world.task("hz_boss1", "本月完成 3 场传感器演示", "SN", node="P-HZ-01", user="hz_sales1")
    steps = of(advise(world, "hz_sales1"), "lines")
    task_step, order_step = steps[0], steps[1]
    assert (
        task_step.reason == "你有进行中的任务「本月完成 3 场传感器演示」涉及 SN 工业传感器，你还没有学过这条产品线的课"
    )
    assert world.path.library.lessons[task_step.lesson_id or ""].product_line == "SN"
    # The partner's most ordered line: EG, its first lesson for a salesperson.
    count = booked("P-HZ-01", "EG")
    assert count >= DATA.signals.lines.min_orders
    assert order_step.lesson_id == "L-001"
    days = DATA.signals.lines.order_days
    assert order_step.reason == f"你所在的经销商近 {days} 天有 {count} 笔 EG 边缘网关 订单，你还没有学过这条产品线的课"


def test_a_task_past_its_due_date_is_no_signal(world: World) -> None:
    world.task("hz_boss1", "上季度的演示任务", "SN", node="P-HZ-01", user="hz_sales1", due_days=-1)
    assert not any("任务" in a.reason for a in advise(world, "hz_sales1"))


def test_the_weakest_practice_dimension_recommends_a_practice_and_the_rubrics_lesson(world: World) -> None:
    scores = {"coverage": 0.8, "values": 0.9, "objection": 0.3, "accuracy": 1.0}
    world.practised("hz_sales1", "EG-3200", scores, persona="equipment_head", industry="化工", lesson="L-021")
    world.practised("hz_sales1", "EG-2100", {**scores, "objection": 0.4})
    steps = of(advise(world, "hz_sales1"), "practice")
    practice, lesson = steps
    assert practice.kind == "practice" and practice.practice is not None
    # The latest session's product (sessions are newest first: EG-3200 finished last).
    assert practice.href == "/practice?product=EG-3200&persona=equipment_head&industry=%E5%8C%96%E5%B7%A5"
    assert practice.reason == "你最近 2 次练习中「异议处理」平均 35 分，是最弱的一项，再练一次 EG-3200"
    assert lesson.kind == "lesson" and lesson.lesson_id == "L-021" and "练习评分推荐" in lesson.reason


def test_no_practice_advice_when_every_dimension_is_above_the_threshold(world: World) -> None:
    world.practised("hz_sales1", "EG-3200", {"coverage": 0.8, "values": 0.9, "objection": None, "accuracy": 0.95})
    assert of(advise(world, "hz_sales1"), "practice") == []


def test_completed_lessons_are_never_recommended(world: World) -> None:
    world.asked("hz_sales1", "EG-3200 上导轨怎么安装接线？")
    world.practised(
        "hz_sales1", "EG-3200", {"coverage": 0.2, "values": 0.2, "objection": 0.1, "accuracy": 0.3}, lesson="L-021"
    )
    world.pass_lesson("hz_sales1", "L-001")
    world.pass_lesson("hz_sales1", "L-021")
    steps = advise(world, "hz_sales1")
    ids = {a.lesson_id for a in steps}
    assert not ids & {"L-001", "L-021"}
    # The EG question now gets the next EG lesson for a salesperson; the line is no more an orders' signal.
    assert of(steps, "unanswered")[0].lesson_id == "L-003"
    assert not any("EG 边缘网关 订单" in a.reason for a in steps)


def test_another_partners_questions_orders_and_tasks_are_never_used(world: World) -> None:
    world.asked("hz_sales2", "EG-3200 上导轨怎么安装接线？")  # P-HZ-02's salesperson
    world.task("hz_manager", "联盟里另一家的传感器任务", "SN", node="P-HZ-02")
    world.practised("hz_sales2", "EG-3200", {"coverage": 0.1, "values": 0.1, "objection": 0.1, "accuracy": 0.1})
    mine = advise(world, "hz_sales1")
    assert of(mine, "unanswered") == [] and of(mine, "practice") == []
    assert not any("任务" in a.reason for a in mine)
    # Every orders' reason counts P-HZ-01's own orders of its line (P-HZ-02 ordered mostly SN).
    assert booked("P-HZ-02", "SN") > booked("P-HZ-01", "SN")
    orders = [re.search(r"有 (\d+) 笔 ([A-Z]{2}) ", a.reason) for a in mine]
    found = [(int(m.group(1)), m.group(2)) for m in orders if m]
    assert found and all(n == booked("P-HZ-01", line) for n, line in found)
    theirs = advise(world, "hz_sales2")
    assert of(theirs, "unanswered")[0].lesson_id == "L-001"
    assert any("联盟里另一家的传感器任务" in a.reason for a in theirs)  # assigned to their partner's node


def test_advice_is_deterministic_bounded_and_counted(world: World) -> None:
    for q in ("EG-3200 安装接线", "SN-VB500-Pro 配置", "MP 看板演示", "AR-G2-Pro 远程协助交付", "CM-SW16-PoE 环网配置"):
        world.asked("hz_sales1", q)
    world.practised("hz_sales1", "EG-3200", {"coverage": 0.2, "values": 0.2, "objection": 0.1, "accuracy": 0.3})
    first, second = advise(world, "hz_sales1"), advise(world, "hz_sales1")
    assert first == second and len(first) == DATA.max_advice
    assert len({a.lesson_id or a.href for a in first}) == len(first)
    counts = count_targets([first, advise(world, "hz_sales2")])
    assert all(n in (1, 2) for n in counts.values())
