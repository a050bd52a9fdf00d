"""Customer-profile facts read more generally (issue 18: profile accuracy): a loss per hour
without "元", "一个多亿", an order quantity in a question, words that hold a job title but
name no contact, head counts and trades that are no customer name, job titles and trades the
tables lacked, and the rule for a different customer in the same conversation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from assistant.content.loader import Corpus
from assistant.dialogue.customer_switch import (
    KEPT_ACROSS_CUSTOMERS,
    name_in_passing,
    names_another_customer,
    profile_for_turn,
)
from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.lexicon import (
    LEXICON_PATH,
    PLACES_PATH,
    TRADES_PATH,
    LexiconDataError,
    load_lexicon_words,
    load_places,
    load_trades,
)
from assistant.dialogue.nlu import Nlu
from assistant.dialogue.numbers import find_numbers
from assistant.dialogue.types import Caller, CustomerProfile

EMPTY = CustomerProfile()


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("每个月停机大概10小时 每小时损失5000", {"downtime_hours_per_month": 10, "downtime_cost_per_hour": 5000}),
        ("停一小时亏8000", {"downtime_cost_per_hour": 8000}),
        ("每小时损失5000元", {"downtime_cost_per_hour": 5000}),
    ],
)
def test_a_loss_per_hour_is_money_without_a_unit(nlu: Nlu, text: str, slots: dict[str, int]) -> None:
    values = nlu.understand(text, profile=EMPTY).slots.values
    assert {k: values.get(k) for k in slots} == {k: Decimal(v) for k, v in slots.items()}


def test_an_hourly_output_is_not_a_loss(nlu: Nlu) -> None:
    assert "downtime_cost_per_hour" not in nlu.understand("每小时产量5000", profile=EMPTY).slots.values


def test_rough_hundred_million() -> None:
    assert [n.value for n in find_numbers("单子一个多亿")] == [Decimal(100_000_000)]
    assert [n.value for n in find_numbers("1个多亿")] == [Decimal(100_000_000)]
    # "多" after 个 only joins a multiplier: "一个多月" stays a month.
    assert [(n.value, n.unit) for n in find_numbers("一个多月")] == [(Decimal(1), "月")]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("要30台eg3200", 30),
        ("打算买20套ec300 交期多久", 20),
        ("仓库要铺无线 ap要20个", 20),
        ("eg3200最多能带多少台", None),
        ("要20个点", None),  # points, not units ordered
    ],
)
def test_an_order_quantity_is_the_customers_count(nlu: Nlu, text: str, count: int | None) -> None:
    assert nlu.understand(text, profile=EMPTY).slots.get("device_count") == count


@pytest.mark.parametrize(
    ("text", "persona"),
    [
        ("预计采购金额80万左右", None),  # a figure, not the procurement contact
        ("运维人员工资一个月4万", None),  # a role whose pay is quoted is a source of figures
        ("客户采购在压价", "procurement"),
        ("对接人是他们的生产部长", "roi_manager"),
        ("他们电仪主管拍板", "tech_decision_maker"),
        ("对接的是设备维护主管", "tech_decision_maker"),
        ("跟我聊的是技术科长", "tech_decision_maker"),
        ("他们网络管理员管这事", "it_security"),
        ("对接的是动力科长", "tech_decision_maker"),
        ("跟工段长聊的", "operator"),
        # the one talked to, not the one who brings the salesperson along
        ("设备科带我去跟点检班的师傅聊", "operator"),
        ("老板让我跟他们采购谈价格", "procurement"),
    ],
)
def test_persona_words(nlu: Nlu, text: str, persona: str | None) -> None:
    assert nlu.understand(text, profile=EMPTY).slots.get("persona") == persona


@pytest.mark.parametrize(
    ("text", "industry"),
    [("合肥一家家电厂 大型", "电子制造"), ("一个造船厂 大型", "机械加工")],
)
def test_trade_words(nlu: Nlu, text: str, industry: str) -> None:
    # "家电厂" holds "电厂" (电力能源): the longer word is the customer's trade.
    assert nlu.understand(text, profile=EMPTY).slots.get("industry") == industry


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("不对 是中型的 四五百人", None),  # a head count
        ("客户在徐州 做工程机械的 上千人", None),  # what they make
        ("客户是做精密机械的", None),
        ("客户是恒达精密", "恒达精密"),
        ("给宁波甬丰泵业的老板开个场", "宁波甬丰泵业"),
        # typed right after "客户" or "是", or a brand before its trade and 厂
        ("开场白 客户宁波恒瑞注塑 准备上eg2100", "宁波恒瑞注塑"),
        ("客户名字搞错了 是青峰化工 不是青源", "青峰化工"),
        ("成都蜀味调味品厂，中等规模", "成都蜀味调味品厂"),
        ("成都汽配厂 中型", None),  # a city, a trade and 厂: a kind of plant
        ("苏州一家汽配厂，中型", None),
    ],
)
def test_no_customer_name_from_a_head_count_or_a_trade(nlu: Nlu, text: str, name: str | None) -> None:
    assert nlu.understand(text, profile=EMPTY).slots.get("customer_name") == name


@pytest.mark.parametrize(
    ("text", "region"),
    [("温岭一家泵厂", "华东"), ("西昌的一个水电站", "西南"), ("塔城一个风电场", "西北"), ("延吉一家啤酒厂", "东北")],
)
def test_cities_the_tables_lacked(nlu: Nlu, text: str, region: str) -> None:
    assert nlu.understand(text, profile=EMPTY).slots.get("region") == region


# -- a different customer in the same conversation --------------------------------------

HELD = CustomerProfile(
    customer_name="鲜丰食品",
    industry="食品饮料",
    region="华北",
    scale="large",
    persona="procurement",
    product_model="EG-3200",
    device_count=30,
    order_amount=Decimal(500_000),
)


def test_another_customer_starts_a_fresh_profile() -> None:
    slots = {"industry": "机械加工", "region": "华东", "scale": "small"}
    base = profile_for_turn(HELD, slots, "另外一家宁波的注塑厂 规模不大")
    assert base.known() == {"product_model": "EG-3200"}  # what is sold stays, nothing of 鲜丰食品
    assert set(base.known()) <= set(KEPT_ACROSS_CUSTOMERS)


def test_a_different_customer_name_starts_a_fresh_profile() -> None:
    assert names_another_customer(HELD, {"customer_name": "恒达精密"}, "客户叫恒达精密")
    assert profile_for_turn(HELD, {"customer_name": "恒达精密"}, "客户叫恒达精密").persona is None


@pytest.mark.parametrize(
    ("slots", "text"),
    [
        ({"customer_name": "鲜丰"}, "鲜丰那边对接的是采购"),  # the same customer, named shorter
        ({"scale": "small"}, "不对 规模不大"),  # a correction
        ({}, "另外一家的报价你看下"),  # another company, but nothing about a customer of ours
        ({"persona": "roi_manager"}, "还有一家的老板也想看"),  # no fact about the company itself
        ({"customer_name": "恒达精工"}, "搞错了 客户是恒达精工"),  # the name corrected, not another one
        ({"customer_name": "永泰新材"}, "客户名是永泰新材 不是鲜丰食品"),
    ],
)
def test_the_same_customer_keeps_its_profile(slots: dict[str, object], text: str) -> None:
    assert profile_for_turn(HELD, slots, text) is HELD


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("装可燃气", "罐区要装可燃气报警 gs700探头几年换一次"),  # a name read off a passing phrase
        ("恒泰", "恒泰那边也问过这个"),
    ],
)
def test_a_different_name_met_in_passing_is_not_another_customer(name: str, text: str) -> None:
    slots = {"customer_name": name, "product_model": "SN-GS700"}
    assert not names_another_customer(HELD, slots, text)
    assert name_in_passing(HELD, slots, text)


@pytest.mark.parametrize(
    ("slots", "text", "another"),
    [
        ({"customer_name": "恒达精密"}, "客户叫恒达精密", True),  # put forward as the customer
        ({"customer_name": "恒达精密", "region": "华东"}, "恒达精密 苏州的", True),  # with its facts
        ({"customer_name": "内蒙古蒙晟煤业有限责任公司"}, "对了 这家全称叫内蒙古蒙晟煤业有限责任公司", False),
    ],
)
def test_a_different_name_put_forward_is_another_customer_unless_it_renames(
    slots: dict[str, object], text: str, another: bool
) -> None:
    assert names_another_customer(HELD, slots, text) is another
    assert not name_in_passing(HELD, slots, text)


def test_the_engine_keeps_the_customer_when_a_name_is_met_in_passing(shipped_engine: DialogueEngine) -> None:
    profile = CustomerProfile()
    for text in ("息烽的黔丰化工 做磷酸盐的", "罐区要装可燃气报警 gs700探头几年换一次"):
        profile = shipped_engine.handle(text=text, profile=profile, caller=Caller(user_id="u", partner_id="P")).profile
    assert (profile.customer_name, profile.industry, profile.region) == ("黔丰化工", "化工", "西南")


def test_the_first_customer_is_not_another_one() -> None:
    assert not names_another_customer(EMPTY, {"industry": "化工"}, "另外一家化工厂")
    assert not names_another_customer(CustomerProfile(customer_name="恒达精密"), {"customer_name": "恒达"}, "恒达的")


@pytest.mark.parametrize(
    "table", ["not_persona", "other_customer_words", "name_correction_words", "back_reference_titles"]
)
def test_the_new_word_lists_refuse_an_empty_word(tmp_path: Path, table: str) -> None:
    raw = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    assert raw[table]  # shipped with words
    raw[table] = [*raw[table], " "]
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LexiconDataError, match="an empty word"):
        load_lexicon_words(path)


# -- writer batch P2 (eval/data/labelled/conversations-field.yaml) -------------------------


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("佛山顺德做小家电配件的五金厂 老板说厂里80个人", "机械加工"),  # the head noun's trade wins
        ("客户是江苏盐城的 做农机配件", "机械加工"),
        ("台州一个做泵阀的", "机械加工"),
        ("哈尔滨一个冷库 中型", "物流仓储"),  # the customer is a cold store
        ("做冷库的 小厂", "物流仓储"),
        ("冷库温度要全程记录 th100测温范围多少", None),  # a site of a food plant: no industry
    ],
)
def test_trades_and_sites(nlu: Nlu, text: str, industry: str | None) -> None:
    assert nlu.understand(text, profile=EMPTY).slots.get("industry") == industry


def test_a_correction_names_the_new_trade_last(nlu: Nlu) -> None:
    assert nlu.understand("不是电子厂 是五金厂", profile=EMPTY).slots.get("industry") == "机械加工"


@pytest.mark.parametrize(
    ("text", "scale"),
    [("台州一个做泵阀的 年产值两个亿", "medium"), ("年营收十个亿", "large"), ("产值一千来万的小作坊", "small")],
)
def test_revenue_gives_the_size_not_an_order(nlu: Nlu, text: str, scale: str) -> None:
    slots = nlu.understand(text, profile=EMPTY).slots
    assert slots.get("scale") == scale
    assert slots.get("amount") is None


def test_an_order_amount_is_still_an_amount(nlu: Nlu) -> None:
    assert nlu.understand("这单大概十二万", profile=EMPTY).slots.get("amount") == Decimal(120_000)


@pytest.fixture(scope="module")
def shipped_nlu(shipped_corpus: Corpus) -> Nlu:
    return Nlu(corpus=shipped_corpus)


def test_the_h5_named_loosely(shipped_nlu: Nlu) -> None:
    # (the fixture corpus has no AR-H5: the shipped one)
    nlu = shipped_nlu
    assert nlu.understand("井下巡检想用安全帽那个ar", profile=EMPTY).slots.get("product_model") == "AR-H5"


def test_so_many_installed(nlu: Nlu) -> None:
    assert nlu.understand("这次要装60个", profile=EMPTY).slots.get("device_count") == 60
    assert nlu.understand("装60个要多久", profile=EMPTY).slots.get("device_count") is None


def test_travel_costs_are_labour(shipped_nlu: Nlu) -> None:
    values = shipped_nlu.understand("外请工程师差旅一个月两万", profile=EMPTY).slots.values
    assert values.get("labour_cost_per_month") == Decimal(20_000)
    assert "amount" not in values


def test_a_bare_duration_corrects_the_downtime_held(nlu: Nlu) -> None:
    held = CustomerProfile(downtime_hours_per_month=Decimal(15))
    text = "不对 是25个小时 我看错了"
    assert nlu.understand(text, profile=held).slots.get("downtime_hours_per_month") == Decimal(25)
    # without a downtime to correct, or without a correction, a bare duration is nothing
    assert nlu.understand(text, profile=EMPTY).slots.get("downtime_hours_per_month") is None
    assert nlu.understand("是25个小时", profile=held).slots.get("downtime_hours_per_month") is None


@pytest.mark.parametrize("text", ["南通有个化工厂 精细化工 中型的", "空压机电费太高 对接的老板想省电"])
def test_no_customer_name_from_a_trade_or_a_bill(nlu: Nlu, text: str) -> None:
    assert nlu.understand(text, profile=EMPTY).slots.get("customer_name") is None


def test_the_facility_words_refuse_an_empty_word(tmp_path: Path) -> None:
    raw = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    assert raw["facility_words"]
    raw["facility_words"] = [*raw["facility_words"], " "]
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LexiconDataError, match="an empty word"):
        load_lexicon_words(path)


# -- batch P5/P6 (issue 18): facts typed in passing ------------------------------------


@pytest.mark.parametrize(
    ("text", "persona"),
    [
        ("跟他们能源科科长约了下周 讲点啥好", "tech_decision_maker"),  # 能源 here is a department
        ("九十来人 技术副厂长对接", "tech_decision_maker"),  # not the 厂长 inside it
        ("王部长说博远的网官便宜一半 咋回他", "tech_decision_maker"),
    ],
)
def test_titles_batch_p5(nlu: Nlu, text: str, persona: str) -> None:
    assert nlu.understand(text, profile=EMPTY).slots.get("persona") == persona


def test_a_short_title_is_the_contact_already_known(nlu: Nlu) -> None:
    # "部长" alone names no department: the contact the profile holds, if it holds one.
    held = CustomerProfile(persona="it_security")
    assert nlu.understand("部长说数据不能出厂 咋回他", profile=held).slots.get("persona") == "it_security"


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("呼市那边一个做酸奶的 叫塞上牧歌", "食品饮料"),
        ("太原清徐那边跑了个焦化厂", "化工"),
        ("大连瓦房店做轴承的 叫东岳轴承", "机械加工"),
        ("onp单节点能接多少台 他们贴片机加aoi一共三百五十台", None),  # a machine, no 机加工
        ("跟他们能源科科长约了下周", None),
    ],
)
def test_trades_batch_p5(nlu: Nlu, text: str, industry: str | None) -> None:
    assert nlu.understand(text, profile=EMPTY).slots.get("industry") == industry


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("瑞安做泵阀的华力 今天第二次上门了", "华力"),
        ("今天下午跑了趟集美 去了同发那边 做肉松鱼丸的", "同发"),
        ("名字打错了 是晋泰源 泰山的泰", "晋泰源"),
        ("厂长最头疼的就是电费，有没有食品厂搞节能的案列 发两个看看", None),  # a kind of plant asked about
        ("一期先上两栋楼 一百二十块表 报价十八万左右", None),  # a count
        ("上海的展会 你们去不去", None),  # an everyday word after a city
        ("去了客户那边 他们说网关老掉线", None),
        ("做化工的大厂 有没有案例", None),
        ("给工程机械配油缸的", None),  # a trade, though it ends like "豫重机械"
        ("他们一千二百来号人 轧机齿轮箱四十来台 老是突然趴窝", None),  # machines
    ],
)
def test_names_in_passing(nlu: Nlu, text: str, name: str | None) -> None:
    assert nlu.understand(text, profile=EMPTY).slots.get("customer_name") == name


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("oee模块一套能接几台 他们磨床一百二十台", 120),  # the fleet beside a spec question
        ("库里跑了12台agv 老掉线 想换工业ap ap5漫游切换多快", 12),
        ("后面采购部张经理接手了 要30个vb500 给来段采购的话术", 30),
        ("客户是蓝湾 青岛的电商仓 agv一百六十台 老掉线", 160),
        ("eg2100最多接多少台设备", None),  # a capacity asked, no fleet
        ("cnc九十来台 发那科西门子混着的 选2100还是3200", 90),  # the fleet counted by its machines
        ("注塑机一百二十台 网关选哪款", 120),
        ("锐拓免费接100台 咱们能不能", None),  # a figure in the question, not the fleet
        ("副总说这回要三十副 能便宜点不", 30),  # AR glasses come in pairs
    ],
)
def test_counts_in_passing(shipped_nlu: Nlu, text: str, count: int | None) -> None:
    # (the fixture corpus has neither the OEE module nor the AP: the shipped one)
    assert shipped_nlu.understand(text, profile=EMPTY).slots.get("device_count") == count


def test_figures_in_passing(nlu: Nlu) -> None:
    said = nlu.understand("老总说停井一个月差不多三十个小时 一小时少产八千来块", profile=EMPTY).slots
    assert (said.get("downtime_hours_per_month"), said.get("downtime_cost_per_hour")) == (Decimal(30), Decimal(8000))
    colloquial = nlu.understand("他说一个月停个十来个钟 停一个钟亏万把块", profile=EMPTY).slots
    assert (colloquial.get("downtime_hours_per_month"), colloquial.get("downtime_cost_per_hour")) == (
        Decimal(10),
        Decimal(10_000),
    )
    assert "amount" not in nlu.understand("哈尔滨有个污水处理厂 日处理五万吨", profile=EMPTY).slots.values
    corrected = nlu.understand("哦对了 不是九十人 他们现在三百五十来人", profile=EMPTY).slots
    assert corrected.get("scale") == "medium"


def test_a_bare_number_switches_within_the_current_line(shipped_nlu: Nlu) -> None:
    held = CustomerProfile(product_model="EC-100")
    assert shipped_nlu.understand("那换成300呢 最多能挂几块", profile=held).slots.get("product_model") == "EC-300"
    # a number no model of the line carries names nothing
    assert shipped_nlu.understand("那换成900呢", profile=held).slots.get("product_model") is None


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("柯桥的永盛 搞印染的", "华东"),
        ("昆明官渡的云草堂 做中药饮片的", "西南"),
        ("仁怀有家做酱香酒的", "西南"),
        ("马鞍山一家钢厂", "华东"),  # the longer name, not 鞍山 (辽宁) inside it
    ],
)
def test_towns_find_their_province(shipped_nlu: Nlu, text: str, region: str) -> None:
    assert shipped_nlu.understand(text, profile=EMPTY).slots.get("region") == region


@pytest.mark.parametrize("text", ["能源管理模块能算尖峰平谷电费吗", "合同里写的质保多久", "客户是永泰新材"])
def test_everyday_words_are_no_towns(shipped_nlu: Nlu, text: str) -> None:
    assert shipped_nlu.understand(text, profile=EMPTY).slots.get("region") is None


def test_a_town_with_a_trade_is_a_company_name(nlu: Nlu) -> None:
    # a province with a trade describes a plant ("宁夏煤化工"); a town with one names it
    slots = nlu.understand("客户是唐山丰润钢铁 第一批先装30个测点", profile=EMPTY).slots
    assert slots.get("customer_name") == "唐山丰润钢铁"


def test_places_refuse_a_one_character_name(tmp_path: Path) -> None:
    raw = yaml.safe_load(PLACES_PATH.read_text(encoding="utf-8"))
    assert sum(len(v) for v in raw["province_places"].values()) > 2000  # shipped with places
    raw["province_places"]["浙江"].append("温")
    path = tmp_path / "places.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LexiconDataError, match="shorter than two"):
        load_places(path)


# -- batch P7/P8 (issue 18): companies named in many ways ------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("刚从盛泽回来 恒泰那边", "恒泰"),
        ("瑞丰那边说下个月要搞巡检数字化", "瑞丰"),
        ("今天去了趟青山那边的华冶精整 做冷轧板的", "华冶精整"),
        ("任丘这边 华油兴业的刘总约了下周", "华油兴业"),
        ("跟鑫达的老板吃了个饭 他们想上网关", "鑫达"),
        ("刚从金鼎出来 设备部长挺感兴趣", "金鼎"),
        ("禾香斋 嘉兴做粽子的", "禾香斋"),
        ("汉阳四新那边一个产业园 江城智谷 物业工程部杜经理管弱电", "江城智谷"),
        ("XD那边又来电话了 问2100的价格", "XD"),  # Latin letters as typed
        ("打错了 是新源 新旧的新", "新源"),
        # what such words may also be
        ("客户那边说网关老掉线", None),
        ("轧机那边冲击大 vb300加速度量程够不够", None),  # a machine
        ("IT那边我先去摸摸需求 该问些啥", None),
        ("真空炉一坏就得等厂家工程师从国外飞过来", None),
        ("打错了 是3200", None),  # a model corrected
        ("做smt贴片的 八条线", None),  # a count
    ],
)
def test_companies_named_in_passing(shipped_nlu: Nlu, text: str, name: str | None) -> None:
    assert shipped_nlu.understand(text, profile=EMPTY).slots.get("customer_name") == name


@pytest.mark.parametrize(
    ("text", "persona", "industry"),
    [
        ("沈总就盯着织机开机率 有没有织布厂的case", "roi_manager", "纺织"),  # the boss by surname
        ("涧西那边的洛阳豫重机械 做矿山破碎机的", None, "机械加工"),  # a maker of machines
        ("做小水泵的 七十来人", None, "机械加工"),
        ("霸州的华鑫 做焊管的", None, "钢铁冶金"),
        ("这单工程总价三十万", None, None),  # 程总 is no boss
    ],
)
def test_bosses_and_makers(shipped_nlu: Nlu, text: str, persona: str | None, industry: str | None) -> None:
    slots = shipped_nlu.understand(text, profile=EMPTY).slots
    assert (slots.get("persona"), slots.get("industry")) == (persona, industry)


# -- batch P9/P10 (issue 18): titles and trades listed by department and sub-sector ------------


@pytest.mark.parametrize(
    ("text", "persona"),
    [
        ("对接的是机电副矿长 姓高 人挺实在", "tech_decision_maker"),  # not the 矿长 inside it
        ("仪表车间主任想让巡检工拿平板连专家", "tech_decision_maker"),  # not the 车间主任 inside it
        ("生产科长说先上一条线", "roi_manager"),  # not the 科长 inside it
        ("场长跟我说齿轮箱是最大的心病", "roi_manager"),
        ("物资处长管招标", "procurement"),
        ("见了他们信息技术部的人", "it_security"),  # not the 技术部 inside it
        ("泵站站长天天守着", "operator"),
        ("一期先上八十台网关 对接的是生产运营部的部长", "roi_manager"),  # the department decides
        ("接手这个事的是厂里信息中心的白主任", "it_security"),
        ("今天见了他们能源中心的主任", "tech_decision_maker"),
        ("现场长期没人值守", None),  # 场长 inside 现场长期
        ("项目总工期三个月", None),  # 总工 inside 总工期
    ],
)
def test_titles_by_department(shipped_nlu: Nlu, text: str, persona: str | None) -> None:
    assert shipped_nlu.understand(text, profile=EMPTY).slots.get("persona") == persona


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("枣阳这边有个做刹车片的 八十来号人", "汽车制造"),
        ("芦淞做女装的 五百来号人", "纺织"),
        ("青白江做无缝钢管的 七百来人", "钢铁冶金"),
        ("做新能源汽车电池包的", "汽车制造"),  # the longest word, not 新能源
        ("热压机20台 一个月停机加起来十五个钟左右", None),  # 机加 inside 停机加起来
        ("磨床都老的 只有232口", None),  # a machine states no trade
    ],
)
def test_trades_by_sub_sector(shipped_nlu: Nlu, text: str, industry: str | None) -> None:
    assert shipped_nlu.understand(text, profile=EMPTY).slots.get("industry") == industry


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda raw: raw["trades"]["化工"].append("刹车片"), "under two industries"),
        (lambda raw: raw["trades"]["纺织"].append("布"), "shorter than two"),
        (lambda raw: raw.update(colours=["红"]), "colours"),
    ],
)
def test_trades_refuse_a_word_twice_or_too_short(tmp_path: Path, change: object, problem: str) -> None:
    raw = yaml.safe_load(TRADES_PATH.read_text(encoding="utf-8"))
    assert sum(len(v) for v in raw["trades"].values()) > 600  # shipped with trades
    change(raw)  # type: ignore[operator]
    path = tmp_path / "trades.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LexiconDataError, match=problem):
        load_trades(path)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("一期先上两栋楼 一百二十块表 报价十八万左右", 120),  # meters, not yuan
        ("欧工问ems一个授权带多少计量点 他们电表三百来块", 300),
        ("给油田干采油服务的 管着三百来口抽油机井", 300),  # wells, not ports
        ("刘所长说第一期先弄三百口井 效果要是好", 300),
        ("电费一个月三万块", None),
        ("交换机要8口的", None),
    ],
)
def test_meters_and_wells_are_counted(shipped_nlu: Nlu, text: str, count: int | None) -> None:
    assert shipped_nlu.understand(text, profile=EMPTY).slots.get("device_count") == count


def test_a_corrected_count_is_the_first_one_after_the_correction(shipped_engine: DialogueEngine) -> None:
    profile = CustomerProfile()
    for text in ("炉子一共12台 一个月停二十来个钟", "不对 是14台 还有两台回火炉没算"):
        profile = shipped_engine.handle(text=text, profile=profile, caller=Caller(user_id="u", partner_id="P")).profile
    assert profile.device_count == 14


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("刚跟雅琪的张总吃完饭", "雅琪"),  # not "刚跟雅琪"
        ("游仙的jmt 做电源适配器的", "jmt"),  # Latin letters after the town
        ("客户巩义市恒昌铝业有限公司 轧铝板带的", "巩义市恒昌铝业有限公司"),  # not "户巩义市…"
        ("苏州的plc 老是掉线", None),  # a word of the trade, not a name
        ("黄岩的 台州市黄岩立峰模塑有限公司 做汽车保险杠模具", "台州市黄岩立峰模塑有限公司"),  # registered, whole
        ("全称是银川市塞上清源水务集团有限公司 底下管着九个水厂", "银川市塞上清源水务集团有限公司"),
        ("沈阳铁西的沈阳重鑫数控机床股份有限公司 做龙门铣的", "沈阳重鑫数控机床股份有限公司"),
    ],
)
def test_names_batch_p9(shipped_nlu: Nlu, text: str, name: str | None) -> None:
    assert shipped_nlu.understand(text, profile=EMPTY).slots.get("customer_name") == name
