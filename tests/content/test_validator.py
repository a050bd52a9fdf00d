"""The corpus validator rejects bad input and names the file and the entry.

Each test writes a small, otherwise valid corpus to a temporary directory, injects
one defect and checks the problem line ``<file>: <entry>[.<field>]: <problem>``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.content.loader import CorpusError, load_corpus

VOCAB: dict[str, Any] = {
    "company": "澜图智联",
    "industries": [{"name": "汽车制造", "synonyms": ["汽配"]}],
    "regions": [{"name": "华东", "synonyms": ["苏州"]}],
    "competitors": [{"name": "博远工控"}, {"name": "锐拓物联"}],
}
LINES: list[dict[str, Any]] = [
    {"id": "EG", "name": "边缘网关", "name_en": "Edge Gateway", "description": "采集与协议转换网关"},
]


def _product(pid: str) -> dict[str, Any]:
    return {
        "id": pid,
        "name": "测试网关",
        "name_en": "Test Gateway",
        "line": "EG",
        "summary": "用于测试的网关。",
        "price": {"list_price": 1000, "band": "entry"},
        "firmware": "v1.0.0",
        "warranty_months": 24,
        "params": [
            {"name": "串口数量", "value": 2, "unit": "个"},
            {"name": "工作电压", "value": "9~36", "unit": "V DC"},
            {"name": "防护等级", "value": "IP30"},
        ],
        "scenarios": ["配电房抄表"],
        "competitors": [
            {"competitor": "博远工控", "competitor_model": "BY-1", "our_advantages": ["宽压"]},
            {"competitor": "锐拓物联", "competitor_model": "RT-1", "our_advantages": ["断网缓存"]},
        ],
        "faults": [{"symptom": "不上线", "cause": "天线松", "fix": "拧紧天线"}],
        "accessories": [],
    }


SCRIPT: dict[str, Any] = {
    "id": "S-1",
    "title": "开场",
    "persona": "roi_manager",
    "stage": "opening",
    "product_line": "EG",
    "template": "{customer_name}每月停机 {downtime_hours_per_month} 小时。",
}
CASE: dict[str, Any] = {
    "id": "C-1",
    "title": "汽配厂联网",
    "customer": "苏州某汽配",
    "industry": "汽车制造",
    "scale": "medium",
    "region": "华东",
    "pain_points": ["停机多"],
    "solution": "部署 EG-1 网关。",
    "products": ["EG-1"],
    "results": [{"metric": "停机减少", "value": 30, "unit": "%"}],
    "year": 2024,
}
FAQ: dict[str, Any] = {"id": "FAQ-1", "category": "installation", "question": "怎么装？", "answer": "导轨安装。"}
LESSON: dict[str, Any] = {
    "id": "L-1",
    "title": "网关安装",
    "mode": "practice",
    "duration_minutes": 10,
    "objectives": ["会装网关"],
    "content": "步骤……",
}


def _base() -> dict[str, list[dict[str, Any]]]:
    """File name (relative to the corpus root) -> entries, all valid."""
    return copy.deepcopy(
        {
            "products/gateways.yaml": [_product("EG-1")],
            "scripts/scripts.yaml": [SCRIPT],
            "cases/cases.yaml": [CASE],
            "faq/faq.yaml": [FAQ],
            "lessons/lessons.yaml": [LESSON],
        }
    )


def _write(tmp_path: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "vocab.yaml").write_text(yaml.safe_dump(VOCAB, allow_unicode=True), encoding="utf-8")
    (root / "product_lines.yaml").write_text(yaml.safe_dump(LINES, allow_unicode=True), encoding="utf-8")
    for rel, entries in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return root


def _problems(tmp_path: Path, files: dict[str, list[dict[str, Any]]]) -> list[str]:
    with pytest.raises(CorpusError) as info:
        load_corpus(_write(tmp_path, files))
    return info.value.problems


def test_the_small_corpus_is_valid(tmp_path: Path) -> None:
    corpus = load_corpus(_write(tmp_path, _base()))
    assert [p.id for p in corpus.products] == ["EG-1"]
    assert corpus.sources["C-1"] == "corpus/cases/cases.yaml"


def test_duplicate_id_in_the_same_file(tmp_path: Path) -> None:
    files = _base()
    files["faq/faq.yaml"].append({**FAQ, "question": "另一个问题？"})
    problems = _problems(tmp_path, files)
    assert problems == ["corpus/faq/faq.yaml: FAQ-1: duplicate id (first defined in corpus/faq/faq.yaml)"]


def test_duplicate_id_across_files_names_both(tmp_path: Path) -> None:
    files = _base()
    files["cases/more.yaml"] = [{**CASE, "title": "重复的案例"}]
    problems = _problems(tmp_path, files)
    assert problems == ["corpus/cases/more.yaml: C-1: duplicate id (first defined in corpus/cases/cases.yaml)"]


def test_duplicate_id_across_kinds(tmp_path: Path) -> None:
    files = _base()
    files["lessons/lessons.yaml"].append({**LESSON, "id": "FAQ-1"})
    problems = _problems(tmp_path, files)
    assert problems == ["corpus/lessons/lessons.yaml: FAQ-1: duplicate id (first defined in corpus/faq/faq.yaml)"]


def test_case_citing_a_missing_product(tmp_path: Path) -> None:
    files = _base()
    files["cases/cases.yaml"][0]["products"] = ["EG-1", "EG-9999"]
    problems = _problems(tmp_path, files)
    assert problems == ["corpus/cases/cases.yaml: C-1.products: unknown product 'EG-9999'"]


def test_other_dangling_references(tmp_path: Path) -> None:
    files = _base()
    files["products/gateways.yaml"][0]["accessories"] = ["CM-404"]
    files["faq/faq.yaml"][0]["products"] = ["SN-404"]
    files["scripts/scripts.yaml"][0]["product_line"] = "XX"
    problems = _problems(tmp_path, files)
    assert set(problems) == {
        "corpus/products/gateways.yaml: EG-1.accessories: unknown product 'CM-404'",
        "corpus/faq/faq.yaml: FAQ-1.products: unknown product 'SN-404'",
        "corpus/scripts/scripts.yaml: S-1.product_line: unknown product line 'XX'",
    }


def test_script_slot_with_no_profile_field(tmp_path: Path) -> None:
    files = _base()
    files["scripts/scripts.yaml"][0]["template"] = "{customer_name}的预算是 {budget} 元。"
    problems = _problems(tmp_path, files)
    assert len(problems) == 1
    assert problems[0].startswith("corpus/scripts/scripts.yaml: S-1: ")
    assert "['budget']" in problems[0] and "not profile fields" in problems[0]


def test_roi_slot_without_roi_block(tmp_path: Path) -> None:
    files = _base()
    files["scripts/scripts.yaml"][0]["template"] = "预计 {payback_months} 个月回本。"
    problems = _problems(tmp_path, files)
    assert len(problems) == 1
    assert problems[0].startswith("corpus/scripts/scripts.yaml: S-1: ") and "'roi' block" in problems[0]


@pytest.mark.parametrize("value", [5, 4.5, "36", "-20~70", "9～36", "±0.3"])
def test_numeric_parameter_without_unit(tmp_path: Path, value: object) -> None:
    files = _base()
    bad = _product("EG-2")  # cited by nothing, so the rejected entry leaves no dangling reference behind
    bad["params"].append({"name": "功耗", "value": value})
    files["products/gateways.yaml"].append(bad)
    problems = _problems(tmp_path, files)
    assert len(problems) == 1, problems
    assert problems[0].startswith("corpus/products/gateways.yaml: EG-2.params.3: ")
    assert "'功耗'" in problems[0] and "without a unit" in problems[0]


@pytest.mark.parametrize("value", ["IP30", "DN15~DN600", "1 min~24 h", "4G Cat.1"])
def test_text_parameter_needs_no_unit(tmp_path: Path, value: str) -> None:
    files = _base()
    files["products/gateways.yaml"][0]["params"].append({"name": "说明", "value": value})
    corpus = load_corpus(_write(tmp_path, files))
    assert corpus.products[0].params[-1].value == value


def test_every_problem_is_reported_in_one_pass(tmp_path: Path) -> None:
    files = _base()
    files["products/gateways.yaml"][0]["params"].append({"name": "功耗", "value": "3~5"})
    files["cases/cases.yaml"][0]["products"] = ["EG-404"]
    files["scripts/scripts.yaml"][0]["template"] = "{budget}"
    files["faq/faq.yaml"].append(copy.deepcopy(FAQ))
    problems = _problems(tmp_path, files)
    files_named = {p.split(":", 1)[0] for p in problems}
    assert files_named == {
        "corpus/products/gateways.yaml",
        "corpus/cases/cases.yaml",
        "corpus/scripts/scripts.yaml",
        "corpus/faq/faq.yaml",
    }
    assert len(problems) == 4
