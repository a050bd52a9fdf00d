"""The names benchmark (eval/names.py): its files load, bad entries are refused, scores count."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.names import NameItem, NamesDataError, load_names, score


def test_the_shipped_files_load_with_names_typed_verbatim() -> None:
    items = load_names()
    assert len(items) >= 200
    assert any(i.name is None for i in items) and any(i.name for i in items)
    assert all(i.name is None or i.name in i.text for i in items)


@pytest.mark.parametrize(
    "body",
    [
        "- {id: X-1, text: 宁波甬丰泵业, name: 华力}\n",  # not in the text
        "- {id: X-1, text: 甬丰, name: 甬丰}\n- {id: X-1, text: 华力, name: null}\n",  # duplicate id
        "- {text: 甬丰, name: 甬丰}\n",  # no id
    ],
)
def test_a_malformed_entry_is_refused(tmp_path: Path, body: str) -> None:
    (tmp_path / "bad.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(NamesDataError):
        load_names(tmp_path)


def test_scores_count_exact_precision_and_recall() -> None:
    items = [NameItem("a", "甬丰泵业", "甬丰泵业"), NameItem("b", "做汽配的", None), NameItem("c", "华力那边", "华力")]
    result = score(items, ["甬丰泵业", "汽配", None])
    assert result == {"n": 3, "n_named": 2, "exact": round(1 / 3, 4), "precision": 0.5, "recall": 0.5}
