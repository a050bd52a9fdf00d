"""The cue word lists are data (corpus/cues.yaml), checked when loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.dialogue.cues import CUES, CUES_PATH, CueDataError, load_cues, word_pattern


def test_the_shipped_lists_load_into_the_cue_groups() -> None:
    data = load_cues()
    assert set(data.cues) | {"offtopic", "brand", "trade"} == set(CUES)
    assert "返利" in CUES["rebate"] and "天气" in CUES["offtopic"]


def _write(tmp_path: Path, change: dict[str, object]) -> Path:
    raw = yaml.safe_load(CUES_PATH.read_text(encoding="utf-8"))
    raw.update(change)
    path = tmp_path / "cues.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"cues": {"rebate": ["返利", " "]}}, "an empty word"),
        ({"cues": {"offtopic": ["天气"]}}, "offtopic"),
        ({"company_suffixes": []}, "company_suffixes"),
        ({"colours": ["红"]}, "colours"),
        ({"cues": {"rebate": "返利"}}, "cues.rebate"),
        ({"engine_words": {"payback": ["回本", ""]}}, "an empty word"),
    ],
)
def test_a_malformed_file_is_refused_saying_what(tmp_path: Path, change: dict[str, object], problem: str) -> None:
    with pytest.raises(CueDataError) as err:
        load_cues(_write(tmp_path, change))
    assert problem in str(err.value)
    assert err.value.code == "cue_data_invalid"


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CueDataError):
        load_cues(tmp_path / "nope.yaml")


def test_the_lexicon_word_tables_are_checked_too(tmp_path: Path) -> None:
    from assistant.dialogue.lexicon import LEXICON_PATH, LexiconDataError, load_lexicon_words

    assert "网关" in load_lexicon_words().line_words["EG"]
    raw = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    raw["stage_cues"]["opening"] = ["开场", ""]
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LexiconDataError, match="an empty word"):
        load_lexicon_words(path)
    del raw["line_words"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LexiconDataError, match="line_words"):
        load_lexicon_words(path)


def test_an_engine_word_list_matches_its_words_and_its_structured_part() -> None:
    price = word_pattern("price_talk", also=r"\d\s*折")
    assert price.search("客户还嫌贵") and price.search("非要8 折才肯签")
    assert not price.search("八个串口")
    quarter = word_pattern("this_quarter")
    assert quarter.search("这个季度的返利") and quarter.search("this quarter")
    assert not quarter.search("上季度")


def test_an_engine_word_list_the_file_lacks_is_an_error_at_import_not_a_silent_miss() -> None:
    with pytest.raises(CueDataError, match=r"engine_words\.colours"):
        word_pattern("colours")
