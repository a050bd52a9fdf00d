"""Role-play practice on the real corpus: the scenario, the rubric, the session summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.content.loader import Corpus, load_corpus
from assistant.settings import PROJECT_ROOT
from assistant.training.roleplay import (
    CustomerTurn,
    KeyPoint,
    Roleplay,
    RoleplayDataError,
    Scenario,
    ScenarioRequest,
    ScenarioRequestError,
    Source,
)
from assistant.training.roleplay_data import load_roleplay_data

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(PROJECT_ROOT / "corpus")


@pytest.fixture(scope="module")
def roleplay(corpus: Corpus) -> Roleplay:
    return Roleplay.from_corpus(corpus)


@pytest.fixture(scope="module")
def scenario(roleplay: Roleplay) -> Scenario:
    return roleplay.scenario(
        ScenarioRequest("EG-3200", industry="化工", persona="tech_decision_maker", turns=8, seed=1)
    )


def _turn_of(scenario: Scenario, kind: str) -> CustomerTurn:
    return next(t for t in scenario.turns if t.kind == kind)


# -- the scenario ---------------------------------------------------------------------


def test_the_same_request_and_seed_give_the_same_scenario(roleplay: Roleplay) -> None:
    request = ScenarioRequest("EG-2100", persona="procurement", seed=7)
    first, again = roleplay.scenario(request), roleplay.scenario(request)
    assert first == again
    other = roleplay.scenario(ScenarioRequest("EG-2100", persona="procurement", seed=8))
    assert other.id != first.id


def test_every_product_gets_four_to_eight_turns_opening_with_a_question(roleplay: Roleplay, corpus: Corpus) -> None:
    for product in corpus.products:
        for turns in (None, 4, 8):
            s = roleplay.scenario(ScenarioRequest(product.id, turns=turns, seed=3))
            assert 4 <= len(s.turns) <= 8
            assert turns is None or len(s.turns) == turns or turns == 8  # 8 only where the corpus has enough
            assert [t.index for t in s.turns] == list(range(1, len(s.turns) + 1))
            assert s.turns[0].kind == "question"
            assert all(t.points and t.text and CJK.search(t.text) for t in s.turns)
            assert {t.objection for t in s.turns if t.kind != "question"} <= {
                "price",
                "competitor",
                "delivery",
                "integration",
            }


def test_the_customer_comes_from_the_case_library(roleplay: Roleplay, corpus: Corpus) -> None:
    s = roleplay.scenario(ScenarioRequest("EG-3200", industry="化工厂", scale="small", seed=2))
    case = corpus.case(s.customer.case_id)
    assert case is not None and case.customer == s.customer.company
    assert s.customer.industry == "化工"  # the vocabulary's name for 化工厂
    assert set(s.customer.pain_points) == set(case.pain_points)
    assert s.customer.company in s.intro


def test_key_points_exist_in_the_corpus(roleplay: Roleplay, corpus: Corpus) -> None:
    faqs = {f.id: f for f in corpus.faqs}
    for product in corpus.products:
        s = roleplay.scenario(ScenarioRequest(product.id, turns=8, seed=0))
        for turn in s.turns:
            for point in turn.points:
                assert point.ideal and point.label and point.sources
                for source in point.sources:
                    _assert_in_corpus(source, point, corpus, faqs)


def _assert_in_corpus(source: Source, point: KeyPoint, corpus: Corpus, faqs: dict[str, object]) -> None:
    pid = source.ref.split("#")[0]
    if source.kind == "params":
        product = corpus.product(pid)
        assert product is not None
        row = next(r for r in product.params if r.name == source.row)
        assert row.display() == source.value
        assert source.citation == f"{pid}#params {row.name}={row.display()}"
    elif source.kind == "competitors":
        product = corpus.product(pid)
        assert product is not None
        block = next(c for c in product.competitors if c.competitor == source.row)
        assert point.ideal in block.our_advantages
    elif source.kind == "faq":
        faq = faqs[source.ref]
        assert point.ideal in getattr(faq, "answer", "")
    else:
        assert source.kind == "script"
        script = corpus.script(source.ref)
        assert script is not None and script.stage == "objection"


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (ScenarioRequest("EG-9999"), "product_id"),
        (ScenarioRequest("EG-3200", persona="ceo"), "persona"),
        (ScenarioRequest("EG-3200", scale="huge"), "scale"),
        (ScenarioRequest("EG-3200", industry="航天"), "industry"),
        (ScenarioRequest("EG-3200", competitor="西门子"), "competitor"),
        (ScenarioRequest("EG-3200", turns=9), "turns"),
    ],
)
def test_a_request_the_corpus_cannot_serve_is_refused_with_its_field(
    roleplay: Roleplay, request_: ScenarioRequest, field: str
) -> None:
    with pytest.raises(ScenarioRequestError) as err:
        roleplay.scenario(request_)
    assert err.value.field == field
    assert err.value.code == "roleplay_bad_request"


def test_a_named_competitor_is_the_one_the_customer_objects_with(roleplay: Roleplay) -> None:
    s = roleplay.scenario(ScenarioRequest("eg 3200", competitor="博远", seed=4))
    assert s.product_id == "EG-3200"
    assert _turn_of(s, "competitor").competitor == "博远工控"


# -- the rubric -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_",
    [
        ScenarioRequest("EG-3200", industry="化工", persona="tech_decision_maker", turns=8, seed=1),
        ScenarioRequest("SN-VB500-Pro", persona="roi_manager", turns=6, seed=3),
        ScenarioRequest("MP-CLD-STD", turns=8, seed=5),
        ScenarioRequest("AR-T10-EX", turns=8, seed=6),
    ],
)
def test_the_ideal_wording_scores_high_on_every_dimension(roleplay: Roleplay, request_: ScenarioRequest) -> None:
    s = roleplay.scenario(request_)
    for turn in s.turns:
        score = roleplay.score(s, turn.index, turn.ideal)
        assert score.verdict == "pass", (turn.kind, score.feedback)
        assert not score.issues
        applied = [d for d in score.dimensions if d.score is not None]
        assert {d.key for d in applied} >= {"coverage"}
        assert all(d.score is not None and d.score >= 0.99 for d in applied), [(d.key, d.score) for d in applied]
        assert all(r.credit == 1 and r.matched for r in score.points)


def test_a_wrong_parameter_value_is_flagged_with_the_row(roleplay: Roleplay, scenario: Scenario) -> None:
    turn = next(t for t in scenario.turns if t.kind == "question" and any("驱动" in p.row for p in t.points))
    answer = "驱动有300多种，4个网口"  # 内置驱动 is 200 种, 以太网口 4 个
    score = roleplay.score(scenario, turn.index, answer)
    wrong = [c for c in score.values if not c.correct]
    assert [c.row for c in wrong] == ["内置驱动"]
    assert wrong[0].source == "EG-3200#params 内置驱动=200 种"
    assert any(c.correct and c.row == "以太网口" for c in score.values)
    assert score.dimension("values").score == pytest.approx(0.5)
    assert score.dimension("accuracy").score is not None and score.dimension("accuracy").score < 1
    assert [i.kind for i in score.issues] == ["wrong_value"]
    assert score.verdict != "pass"
    assert any("内置驱动" in line and "EG-3200#params" in line for line in score.feedback)


def test_a_range_said_with_other_ends_is_wrong(roleplay: Roleplay, corpus: Corpus) -> None:
    s, turn = _row_turn(roleplay, corpus, "EG-3200", ["工作温度", "最大采集点数"])
    right = roleplay.score(s, turn.index, "零下40到75度都行，最多1万个点")
    assert right.dimension("values").score == 1.0 and not right.issues
    wrong = roleplay.score(s, turn.index, "工作温度0到50度，1万个点")
    assert [(c.row, c.correct) for c in wrong.values if not c.correct] == [("工作温度", False)]


@pytest.mark.parametrize(
    "answer",
    [
        "eg3200最多采10000个点，工作温度-40~75℃",
        "EG 3200 点数一万，宽温-40到75度",
        "最大采集点数：10,000 个；工作温度：零下四十到七十五摄氏度",
    ],
)
def test_phone_style_figures_and_model_ids_are_read(roleplay: Roleplay, corpus: Corpus, answer: str) -> None:
    s, turn = _row_turn(roleplay, corpus, "EG-3200", ["工作温度", "最大采集点数"])
    score = roleplay.score(s, turn.index, answer)
    assert score.dimension("values").score == 1.0, score.dimension("values").evidence
    assert score.verdict == "pass"


def test_a_comma_after_a_word_ends_the_clause(roleplay: Roleplay, corpus: Corpus) -> None:
    s, turn = _row_turn(roleplay, corpus, "EG-2100-Pro", ["以太网口", "最大采集点数"])  # 2 个, 2000 个
    score = roleplay.score(s, turn.index, "4个网口，2000点")
    # "2000" is no thousands separator's tail: it is the next clause's figure, not the ports'
    assert [(c.row, c.said, c.correct) for c in score.values] == [
        ("以太网口", "4个", False),
        ("最大采集点数", "2000", True),
    ]
    assert score.verdict == "partial"
    grouped = roleplay.score(s, turn.index, "网口2个，点数2,000")
    assert grouped.dimension("values").score == 1.0 and not grouped.issues


def test_spoken_numerals_with_their_measure_word_are_figures(roleplay: Roleplay, corpus: Corpus) -> None:
    s, turn = _row_turn(roleplay, corpus, "EG-2100-Pro", ["以太网口", "最大采集点数"])
    score = roleplay.score(s, turn.index, "网口俩，点数两千")
    assert [(c.row, c.said, c.correct) for c in score.values] == [
        ("以太网口", "俩", True),
        ("最大采集点数", "两千", True),
    ]
    assert score.verdict == "pass"
    wrong = roleplay.score(s, turn.index, "网口仨，点数两千")
    assert [(c.row, c.correct) for c in wrong.values if not c.correct] == [("以太网口", False)]
    us_two = roleplay.score(s, turn.index, "咱俩说实话，点数两千")  # "咱俩" is no figure
    assert [c.said for c in us_two.values] == ["两千"]


def test_megabits_are_checked_against_a_row_in_kbps(roleplay: Roleplay, corpus: Corpus) -> None:
    s, turn = _row_turn(roleplay, corpus, "AR-LINK", ["最低带宽", "端到端延迟"])  # 512 kbps, 300 ms
    score = roleplay.score(s, turn.index, "带宽最低2M，延迟300ms")
    assert [(c.row, c.correct) for c in score.values if not c.correct] == [("最低带宽", False)]
    assert score.verdict != "pass"
    right = roleplay.score(s, turn.index, "最低带宽512kbps，延迟300ms")
    assert right.dimension("values").score == 1.0 and not right.issues


def _row_turn(roleplay: Roleplay, corpus: Corpus, product_id: str, rows: list[str]) -> tuple[Scenario, CustomerTurn]:
    """A scenario of the product with a question turn about ``rows`` (the seeded pick aside)."""
    s = roleplay.scenario(ScenarioRequest(product_id, turns=4, seed=0))
    product = corpus.product(product_id)
    assert product is not None
    points = []
    for i, name in enumerate(rows, start=1):
        row = next(r for r in product.params if r.name == name)
        source = Source("params", f"{product_id}#params", row.name, row.display())
        points.append(
            KeyPoint(
                f"t1.p{i}",
                f"{row.name}：{row.display()}",
                f"{product_id} 的{row.name}是 {row.display()}",
                (source,),
                row.name,
            )
        )
    turn = CustomerTurn(1, "question", None, f"{product_id} 的{rows[0]}和{rows[1]}是多少？", tuple(points), "")
    return Scenario(s.id, s.seed, s.product_id, s.line, s.customer, s.intro, (turn, *s.turns[1:])), turn


def test_an_invented_model_is_flagged(roleplay: Roleplay, scenario: Scenario) -> None:
    turn = _turn_of(scenario, "competitor")
    score = roleplay.score(scenario, turn.index, "我们还有 eg-3200 pro，8个串口都能切换，比他们强")
    assert [i.said for i in score.issues if i.kind == "invented_model"] == ["EG-3200 PRO"]
    assert score.dimension("accuracy").score is not None and score.dimension("accuracy").score < 1
    assert score.verdict != "pass"
    assert any("不是我们在售的型号" in line for line in score.feedback)
    real = roleplay.score(scenario, turn.index, "EG 2100 pro 和 eg3200 都是我们的型号，对方是 HY-EG500")
    assert not [i for i in real.issues if i.kind == "invented_model"]


def test_a_price_below_the_floor_is_flagged(roleplay: Roleplay, scenario: Scenario) -> None:
    turn = _turn_of(scenario, "price")
    score = roleplay.score(scenario, turn.index, "行，给您打7折，4760一台")
    assert {i.kind for i in score.issues} == {"below_floor"}
    assert all(i.source == "FAQ-PRC-003" for i in score.issues)
    assert score.verdict == "fail"


def test_an_objection_answered_with_the_sources_passes(roleplay: Roleplay, scenario: Scenario) -> None:
    turn = _turn_of(scenario, "price")
    answer = (
        "理解您对价格的顾虑。华屹便宜九百，但他们驱动少，有些plc要付费定制，后面集成和运维的工作量算进去，"
        "总拥有成本并不比他们高。量大的话我帮您报备申请项目特价"
    )
    score = roleplay.score(scenario, turn.index, answer)
    assert score.verdict == "pass"
    objection = score.dimension("objection")
    assert objection.score == 1.0 and any("总拥有成本" in line for line in objection.evidence)


def test_a_protocol_in_a_role_the_corpus_does_not_give_it_is_wrong(roleplay: Roleplay) -> None:
    s = roleplay.scenario(ScenarioRequest("EC-300", turns=4, seed=0))  # Profinet 从站 only
    turn = s.turns[0]
    master = roleplay.score(s, turn.index, "可以做profinet主站，带你们现有的设备没问题")
    assert [(c.row, c.said, c.correct) for c in master.values] == [("支持协议", "profinet主站", False)]
    assert [i.kind for i in master.issues] == ["wrong_value"]
    slave = roleplay.score(s, turn.index, "可以做profinet从站，接你们的plc")
    assert not [c for c in slave.values if not c.correct] and not slave.issues
    next_word = roleplay.score(s, turn.index, "profinet和modbus主站都能做")  # the role is modbus's
    assert not [c for c in next_word.values if not c.correct]
    both = roleplay.scenario(ScenarioRequest("EC-100", turns=4, seed=0))  # Modbus RTU/TCP 主从站
    either = roleplay.score(both, both.turns[0].index, "modbus主站从站都能做")
    assert not [c for c in either.values if not c.correct]


def test_only_a_negative_clause_made_without_negation_is_said_the_wrong_way_round(roleplay: Roleplay) -> None:
    s = roleplay.scenario(ScenarioRequest("EC-100", turns=5, seed=16))
    turn = next(t for t in s.turns if any("不能用其他品牌" in p.ideal for p in t.points))
    free = roleplay.score(s, turn.index, "编程用免费的LT Studio，原来的ST程序改改就能搬过来")
    assert not [i for i in free.issues if i.kind == "contradicts"]
    reversed_ = roleplay.score(s, turn.index, "直接用你们原来的PLC编程软件就能下程序")
    assert [i.source for i in reversed_.issues if i.kind == "contradicts"] == ["FAQ-CMP-022"]
    assert reversed_.verdict == "fail"


def test_a_competitor_point_is_made_with_our_side(roleplay: Roleplay) -> None:
    s = roleplay.scenario(ScenarioRequest("CM-SW8", turns=5, seed=18))
    turn = next(t for t in s.turns if any(p.ideal == "全千兆端口，对方为百兆" for p in t.points))

    def credit(answer: str) -> float:
        score = roleplay.score(s, turn.index, answer)
        return next(r.credit for r in score.points if r.point.ideal == "全千兆端口，对方为百兆")

    assert credit("我们是千兆的") > 0  # "对方为百兆" is the rival's side, no part of our point
    assert roleplay.score(s, turn.index, "我们是千兆的").verdict == "partial"
    assert credit("我们全千兆端口，对方才百兆") == 1.0
    assert credit("他们是百兆的") == 0.0


def test_a_figure_nothing_checks_earns_no_accuracy(roleplay: Roleplay, scenario: Scenario) -> None:
    s = roleplay.scenario(ScenarioRequest("EG-3200-5G", persona="procurement", turns=5, seed=13))
    turn = next(t for t in s.turns if t.kind == "delivery")  # 按单生产, 15~20 个工作日
    unchecked = roleplay.score(s, turn.index, "现货3天发货")
    assert unchecked.dimension("accuracy").score is None
    assert unchecked.verdict == "fail"
    sourced = roleplay.score(s, turn.index, "这款按单生产，一般15到20个工作日")
    assert sourced.dimension("accuracy").score == 1.0
    price = roleplay.score(scenario, _turn_of(scenario, "price").index, "理解，我帮您申请项目特价，打九五折")
    assert price.dimension("accuracy").score == 1.0  # a discount is checked against the floor
    quote = roleplay.score(scenario, _turn_of(scenario, "price").index, "理解，项目特价能做到6200一台")
    assert quote.dimension("accuracy").score == 1.0  # so is a price quoted above it


@pytest.mark.parametrize(
    ("answer", "flag"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("。。。👍", "empty"),
        ("你是傻逼吗", "abusive"),
        ("今天天气不错，晚上一起吃饭吧", "offtopic"),
        ("哈" * 4000, "offtopic"),
        ("x" * 5000, "offtopic"),
    ],
)
def test_bad_input_gets_a_low_score_and_polite_feedback(
    roleplay: Roleplay, scenario: Scenario, answer: str, flag: str
) -> None:
    for turn in scenario.turns:
        score = roleplay.score(scenario, turn.index, answer)
        assert score.verdict == "fail" and score.overall == 0.0
        assert flag in score.flags
        assert score.feedback and all(CJK.search(line) for line in score.feedback)
        assert ("cut" in score.flags) == (len(answer) > 4000)


def test_an_over_long_answer_is_cut_and_kept_below_pass(roleplay: Roleplay, scenario: Scenario) -> None:
    turn = scenario.turns[0]
    score = roleplay.score(scenario, turn.index, turn.ideal * 300)
    assert {"cut", "too_long"} <= set(score.flags)
    assert score.verdict == "partial"
    assert any("4000" in line for line in score.feedback)


def test_scores_are_deterministic(roleplay: Roleplay, scenario: Scenario) -> None:
    turn = _turn_of(scenario, "competitor")
    answers = ["我们驱动两百多种，华屹才120种", "博远定制免费，但我们8个串口都能软件切换"]
    assert [roleplay.score(scenario, turn.index, a) for a in answers] == [
        roleplay.score(scenario, turn.index, a) for a in answers
    ]


# -- the session ------------------------------------------------------------------------


def test_the_summary_names_missed_points_with_citations_and_a_lesson(
    roleplay: Roleplay, scenario: Scenario, corpus: Corpus
) -> None:
    answers = [
        "功耗10瓦",
        "能对接",
        "驱动200多种",
        "我们串口多",
        "他们便宜，没办法",
        "12到48v",
        "可以申请特价",
        "现货3天",
    ]
    scores = [roleplay.score(scenario, t.index, a) for t, a in zip(scenario.turns, answers, strict=True)]
    summary = roleplay.summarize(scenario, scores)
    assert summary.turns_scored == len(scenario.turns)
    assert summary.missed and all(m.citations and m.ideal for m in summary.missed)
    assert any(m.citations == ("EG-3200#params 重量=950 g",) for m in summary.missed)
    assert (
        summary.weakest == min((d for d in summary.dimensions if d.score is not None), key=lambda d: d.score or 0.0).key
    )
    lesson = next(x for x in corpus.lessons if x.id == summary.lesson.lesson_id)
    assert lesson.product_line in ("", scenario.line)
    assert summary.lesson.title == lesson.title
    assert summary.text[-1].count(lesson.id) == 1
    assert any("EG-3200#params 重量=950 g" in line for line in summary.text)


def test_the_weakest_dimension_chooses_the_lesson(roleplay: Roleplay, scenario: Scenario) -> None:
    turn = _turn_of(scenario, "competitor")
    conceded = roleplay.summarize(scenario, [roleplay.score(scenario, turn.index, "他们确实更好，我们比不过")])
    assert conceded.weakest in ("coverage", "objection")
    assert conceded.verdict == "fail"
    empty = roleplay.summarize(scenario, [])
    assert empty.turns_scored == 0 and empty.lesson.lesson_id


# -- the data file ----------------------------------------------------------------------


def test_a_broken_data_file_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "roleplay.yaml"
    bad.write_text("dimensions: []\n", encoding="utf-8")
    with pytest.raises(RoleplayDataError) as err:
        load_roleplay_data(bad)
    assert "roleplay.yaml" in str(err.value) and "dimensions" in str(err.value)
    with pytest.raises(RoleplayDataError):
        load_roleplay_data(tmp_path / "missing.yaml")
