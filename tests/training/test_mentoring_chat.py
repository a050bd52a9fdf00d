"""Sharing sessions in chat ("最近有什么分享会", issue 15 item 2): the sessions the verified caller
may see on the channel tree, soonest first, with seats and their own sign-up and attendance;
routed by the engine to its mentoring skill, and answered in the serving process when the
engine runs in worker processes (tests/dialogue/test_mentoring_chat.py)."""

from __future__ import annotations

from datetime import timedelta

from assistant.dialogue.types import Caller
from assistant.training.mentoring_chat import SHOWN, MentoringChatSkill
from tests.training.test_mentoring import START, World, confirmed, new_session, world  # noqa: F401


def test_the_sessions_open_to_the_caller_soonest_first_with_seats_and_attendance(world: World) -> None:  # noqa: F811
    skill = MentoringChatSkill(lambda: world.mentoring)
    host = confirmed(world)  # cd_boss1, region 西南
    late = new_session(world, host, topic="PoE交换机打单复盘", starts_at=START + timedelta(days=5), capacity=1)
    soon = new_session(world, host, topic="边缘网关项目打单经验", starts_at=START + timedelta(days=2))
    learner, rival = world.caller("cd_sales2"), world.caller("cd_sales3")
    world.mentoring.sign_up(learner, soon)
    world.mentoring.sign_up(rival, late)  # the last seat
    reply = skill.sessions(caller=learner)
    lines = reply.text.splitlines()
    assert "共 2 场" in lines[0]
    assert "边缘网关项目打单经验" in lines[1] and "你已报名" in lines[1]  # soonest first
    assert "PoE交换机打单复盘" in lines[2] and "已满" in lines[2]
    assert reply.text.rstrip().endswith("/mentoring") and reply.task == {"mentoring": f"{soon},{late}"}
    # another region sees none of them
    other = skill.sessions(caller=world.caller("hz_sales1"))
    assert "近期没有你能报名的分享会" in other.text and "打单" not in other.text
    # after it, attendance counts
    world.clock.now = START + timedelta(days=2, hours=2)
    world.mentoring.mark_attendance(host, soon, [learner.user_id])
    after = skill.sessions(caller=learner)
    assert "你已参加 1 场分享会，共 60 分钟" in after.text and "边缘网关" not in after.text.splitlines()[1]
    english = skill.sessions(caller=Caller(user_id=learner.user_id, partner_id=learner.partner_id, language="en"))
    assert english.text.startswith("Sharing sessions") and "1 sessions" in english.text


def test_at_most_a_few_are_listed_and_the_rest_counted(world: World) -> None:  # noqa: F811
    host = confirmed(world)
    for day in range(SHOWN + 2):
        new_session(world, host, topic=f"经验分享第{day + 1}期", starts_at=START + timedelta(days=day + 1))
    text = MentoringChatSkill(lambda: world.mentoring).sessions(caller=world.caller("cd_sales2")).text
    assert text.count("《经验分享") == SHOWN and "另有 2 场" in text


def test_session_times_are_written_in_the_configured_time_zone(world: World) -> None:  # noqa: F811
    import pytest

    from assistant.settings import Settings

    host = confirmed(world)
    session = new_session(world, host, topic="时区测试", starts_at=START + timedelta(days=2))
    learner = world.caller("cd_sales2")
    starts = next(s.starts_at for s in world.mentoring.sessions(learner, when="upcoming").sessions if s.id == session)
    china = MentoringChatSkill(lambda: world.mentoring).sessions(caller=learner).text
    london = MentoringChatSkill(lambda: world.mentoring, timezone="Europe/London").sessions(caller=learner).text
    assert (starts + timedelta(hours=8)).strftime("%m-%d %H:%M") in china  # UTC+8
    assert (starts + timedelta(hours=8)).strftime("%m-%d %H:%M") not in london
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings(timezone="Mars/Base")
