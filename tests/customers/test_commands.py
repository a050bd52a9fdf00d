"""Reading chat messages as customer commands (assistant/customers/commands.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.customers.commands import CommandDataError, CustomerCommand, parse


@pytest.mark.parametrize(
    ("text", "kind", "words", "marked"),
    [
        ("换到宁波那家", "switch", "宁波", True),
        ("切换客户 杭州恒逸", "switch", "杭州恒逸", True),
        ("切换客户：杭州恒逸化纤。", "switch", "杭州恒逸化纤", True),
        ("帮我换到绍兴那个客户吧", "switch", "绍兴", True),
        ("回到恒逸", "switch", "恒逸", False),
        ("换个客户", "switch", "", True),
        ("把这家存为客户", "save", "", True),
        ("存为客户吧", "save", "", True),
        ("把杭州恒逸化纤存为客户", "save", "杭州恒逸化纤", True),
        ("新建客户 宁波海天塑机", "save", "宁波海天塑机", True),
        ("我的客户", "list", "", True),
        ("客户列表", "list", "", True),
    ],
)
def test_commands(text: str, kind: str, words: str, marked: bool) -> None:
    assert parse(text) == CustomerCommand(kind=kind, words=words, marked=marked)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "EG-2100的工作电压多少",
        "怎么新建客户",  # a how-to, not a command
        "我的客户是化工厂，有什么案例",  # names the customer's trade, not a list request
        "客户说太贵了怎么回",
        "换到宁波那家之后，他们问EG-2100和SN-LV800哪个更适合高温高湿的车间，还问了质保",  # too long
        # another customer described, and a question about it: not a switch to a record
        "换个客户 是做冻肉的小厂 冷库压缩机也想做振动 有没有这种",
        "换个客户，做注塑的有案例吗？",
        "换成化工厂的话怎么说",
    ],
)
def test_questions_are_not_commands(text: str) -> None:
    assert parse(text) is None


def test_a_switch_without_a_customer_word_is_left_to_the_caller() -> None:
    # "换成EG-3200呢" reads like a switch; no customer word, so only a customer named so would make
    # it one (the chat checks the caller's customers before treating it as a command).
    command = parse("换成EG-3200呢")
    assert command is not None and command.kind == "switch" and not command.marked


def test_broken_data_file_names_itself(tmp_path: Path) -> None:
    bad = tmp_path / "commands.yaml"
    bad.write_text("switch_words: []\n", encoding="utf-8")
    with pytest.raises(CommandDataError, match=r"commands\.yaml"):
        parse("换到宁波那家", path=bad)
