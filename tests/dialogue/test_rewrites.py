"""Typing variants rewritten before understanding (assistant/dialogue/data/rewrites.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.dialogue.rewrites import RewriteDataError, load_rewrites, rewrite, shipped_rewrites


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("贵唔贵 几多钱一台", "贵不贵 多少钱一台"),
        ("云眸标准版原始数据存得几耐", "云眸平台标准版原始数据存得多久"),
        ("那有无自带4g的眼镜", "那有没有自带4g的眼镜"),
        ("每月停机10个钟 每个钟损失5千", "每月停机10小时 每小时损失5千"),
        ("我点回他", "我怎么回他"),
        ("网官好久升级一次", "网关多久升级一次"),
        ("压力变送气带不带hart", "压力变送器带不带hart"),
        ("那个无线传感气", "那个无线传感器"),
        ("平台上推了故件升级", "平台上推了固件升级"),
        ("坏了在走反修", "坏了在走返修"),
        ("那个雷达液位机 测醋罐量程多少", "那个雷达液位计 测醋罐量程多少"),
        ("ar眼睛选哪款好", "ar眼镜选哪款好"),
        ("想搞私有话部署", "想搞私有化部署"),
        ("赶得上今儿发货么", "赶得上今天发货么"),
        ("明儿个上午去现场", "明天上午去现场"),
        ("咁佢摆放有什么要求", "那他摆放有什么要求"),
        # courtesy and urgency around the question ask nothing
        ("你好 那2100呢", "那2100呢"),
        ("急!不对 我问的是3200??", "不对 我问的是3200??"),
        ("麻烦问一下,搞错了 是vb300", "搞错了 是vb300"),
        ("在吗 能约个原厂专家聊聊不 急", "能约个原厂专家聊聊不"),
        ("ar眼镜电池多少毫安 谢谢", "ar眼镜电池多少毫安"),
        ("pt200能直接接到eg网关上吗。", "pt200能直接接到eg网关上吗"),
        ("ec300能带第三方阀岛不呀", "ec300能带第三方阀岛不"),
        ("你好!", "你好"),  # a greeting stays whole
        # an afterthought that asks nothing
        ("eg5800下单要等多久 客户等着回复", "eg5800下单要等多久"),
        ("机床停了平台还显示运行 cu120 帮忙看下", "机床停了平台还显示运行 cu120"),
        ("模块一排点全没反应 我在客户这儿", "模块一排点全没反应"),
        # a customer's question relayed is that question
        ("客户问:佛山一个水厂 fl400耐压够不够", "佛山一个水厂 fl400耐压够不够"),
        ("帮客户问下 eg2100对博远", "eg2100对博远"),
        ("他们问了个问题:能不能开专票", "能不能开增值税专用发票"),
        ("客户问为什么比博远贵 我咋回", "为什么比博远贵 我咋回"),
        ("塞在配电房嗰边", "塞在配电房那边"),
        ("隔几个钟头就掉一回线", "隔几个钟头就掉线"),
        ("一天断了两次线", "一天断线"),
        ("这季度的积线目标是多少", "这季度的基线目标是多少"),
    ],
)
def test_regional_speech_and_slips_read_as_the_standard_form(typed: str, read: str) -> None:
    assert rewrite(typed) == read


@pytest.mark.parametrize(
    "text",
    [
        *("有无线功能吗", "有无锡的案例吗", "重点讲下", "一个钟头", "20l的水箱", "2100lora"),
        *("检测气体浓度", "三四五个人", "一百二十台", "眼睛看不清"),
        *("客户问", "他们it问防火墙放行哪几个口", "客户等着回复"),
        *("你好", "谢谢", "在吗", "急需一台网关", "哥们儿 这个多少钱", "有没有啊?"),
    ],
)
def test_words_that_only_look_like_a_variant_are_left_alone(text: str) -> None:
    assert rewrite(text) == text


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("2l00pro的防水等级", "2100pro的防水等级"),
        ("eg21oo功耗", "eg2100功耗"),
        ("vb5oo", "vb500"),
        ("ec5oopro", "ec500pro"),
    ],
)
def test_model_numbers_typed_with_letters_for_digits(typed: str, read: str) -> None:
    assert rewrite(typed) == read


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("二一零零pro多少钱", "2100pro多少钱"),
        ("要两台二一零零 现货的", "要两台2100 现货的"),
        ("三二零零的5g版", "3200的5g版"),
        ("无线振动那个五百pro", "无线振动那个500pro"),
        ("咱们ec三百能当profinet主站不", "咱们ec300能当profinet主站不"),
        ("em六百精度多少", "em600精度多少"),
        ("二幺零零pro宽温多少", "2100pro宽温多少"),
        ("ec七百r两个cpu", "ec700r两个cpu"),
        ("ok三百台都要", "ok三百台都要"),  # not a model's letters
        ("ec三百五十台", "ec三百五十台"),  # a count, not a round hundred
    ],
)
def test_model_numbers_said_to_voice_input_as_chinese_digits(said: str, read: str) -> None:
    assert rewrite(said) == read


def test_the_shipped_file_loads() -> None:
    assert len(shipped_rewrites()) >= 20


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("- {pattern: a, to: b}\n", "list under 'rewrites'"),
        ("rewrites:\n  - {pattern: a}\n", "entry 1"),
        ("rewrites:\n  - {pattern: '(', to: b}\n", "entry 1 ('(')"),
        ("rewrites:\n  - {pattern: a, to: b}\n  - {pattern: a, to: '\\2'}\n", "entry 2"),
        ("rewrites:\n  - {pattern: a, to: b, note: x}\n", "entry 1"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_entry(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "rewrites.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RewriteDataError) as err:
        load_rewrites(path)
    assert problem in str(err.value)
    assert err.value.code == "rewrite_data_invalid"


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("电流一直顶在二十一点五毫安往上", "电流一直顶在21.5毫安往上"),
        ("压力零点六兆帕", "压力0.6兆帕"),
        ("供电二十四伏够不够", "供电24伏够不够"),
        ("一个月停二十个小时", "一个月停二十个小时"),  # hours are read by the figures, not here
        ("两点五毫米", "2.5毫米"),
    ],
)
def test_readings_said_in_words_before_their_unit(said: str, read: str) -> None:
    assert rewrite(said) == read
