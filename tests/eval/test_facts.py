"""The facts benchmark (eval/facts.py): its files load, bad entries are refused, scores count."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.facts import FactItem, FactsDataError, load_facts, score


def test_the_shipped_files_load_with_names_typed_verbatim() -> None:
    items = load_facts()
    names = [i for i in items if i.fact == "name"]
    assert len(names) >= 200
    assert any(i.value is None for i in names) and any(i.value for i in names)
    assert all(i.value is None or i.value in i.text for i in names)


@pytest.mark.parametrize(
    "body",
    [
        "- {id: X-1, text: 宁波甬丰泵业, name: 华力}\n",  # not in the text
        "- {id: X-1, text: 甬丰, name: 甬丰}\n- {id: X-1, text: 华力, name: null}\n",  # duplicate id
        "- {text: 甬丰, name: 甬丰}\n",  # no id
        "- {id: X-1, text: 甬丰泵业, name: 甬丰泵业, industry: 机械加工}\n",  # two facts in one entry
        "- {id: X-1, text: 做袜子的}\n",  # no fact
        "- {id: X-1, text: 120台机床, device_count: '120'}\n",  # a figure typed as a string
        "- {id: X-1, text: 停机很多, downtime_hours_per_month: true}\n",  # a flag, not a figure
        "- {id: X-1, text: 华力, name: 12}\n",  # a name that is a number
    ],
)
def test_a_malformed_entry_is_refused(tmp_path: Path, body: str) -> None:
    (tmp_path / "bad.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(FactsDataError):
        load_facts(tmp_path)


def test_scores_count_exact_precision_and_recall() -> None:
    items = [
        FactItem("a", "甬丰泵业", "name", "甬丰泵业"),
        FactItem("b", "做汽配的", "name", None),
        FactItem("c", "华力那边", "name", "华力"),
    ]
    result = score(items, ["甬丰泵业", "汽配", None])
    assert result == {"n": 3, "n_labelled": 2, "exact": round(1 / 3, 4), "precision": 0.5, "recall": 0.5}


def test_figures_load_as_one_string_per_value(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(
        "- {id: F-1, text: 一年停60个钟, downtime_hours_per_month: 5.0}\n"
        "- {id: F-2, text: 一百二十台机床, device_count: 120}\n"
        "- {id: F-3, text: 订单30万, labour_cost_per_month: null}\n",
        encoding="utf-8",
    )
    items = load_facts(tmp_path)
    assert [(i.fact, i.value) for i in items] == [
        ("downtime_hours_per_month", "5"),
        ("device_count", "120"),
        ("labour_cost_per_month", None),
    ]
