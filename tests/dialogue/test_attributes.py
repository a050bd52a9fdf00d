"""The attribute lexicon: everyday words for table rows, read from corpus/attributes.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.dialogue.attributes import DEFAULT_LEXICON, AttributeLexicon, AttributeLexiconError
from assistant.dialogue.lexicon import squash


@pytest.fixture(scope="module")
def lexicon() -> AttributeLexicon:
    return AttributeLexicon.load(DEFAULT_LEXICON)


def keys(lexicon: AttributeLexicon, text: str) -> list[str]:
    return [m.attribute.key for m in lexicon.mentions(squash(text))]


def test_everyday_words_name_the_attribute(lexicon: AttributeLexicon) -> None:
    assert keys(lexicon, "eg2100供电多少伏") == ["voltage"]
    assert keys(lexicon, "这个多重") == ["weight"]
    assert keys(lexicon, "gs700多久校准一次") == ["calibration"]


def test_longest_word_wins_and_a_trailing_question_word_asks_nothing_more(lexicon: AttributeLexicon) -> None:
    # "供电电压范围" is the voltage, not a voltage plus a measuring range
    assert keys(lexicon, "eg2100的供电电压范围") == ["voltage"]
    assert keys(lexicon, "电池能用多久") == ["battery_life"]


def test_several_questions_give_several_mentions_in_text_order(lexicon: AttributeLexicon) -> None:
    assert keys(lexicon, "vb500pro电池能用多久传输多远质保几年") == ["battery_life", "range", "warranty"]


def test_value_words_mark_a_capability_question(lexicon: AttributeLexicon) -> None:
    mentions = lexicon.mentions(squash("2100支持modbus吗"))
    assert [(m.attribute.key, m.by_value) for m in mentions] == [("protocols", True)]


def test_latin_words_are_not_found_inside_longer_ones(lexicon: AttributeLexicon) -> None:
    assert "io" not in [m.word for m in lexicon.mentions(squash("radio 收不到"))]
    assert keys(lexicon, "14g") == []  # not "4g"


def test_a_malformed_lexicon_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "attributes.yaml"
    bad.write_text("attributes:\n  - {key: v, label: 电压, rows: [电压], words: []}\n", encoding="utf-8")
    with pytest.raises(AttributeLexiconError, match=r"attributes\.0\.words"):
        AttributeLexicon.load(bad)
    bad.write_text("attributes:\n  - {key: v, label: 电压, words: [电压]}\n", encoding="utf-8")
    with pytest.raises(AttributeLexiconError, match="needs rows or a field"):
        AttributeLexicon.load(bad)
    bad.write_text(
        "attributes:\n  - {key: v, label: a, rows: [a], words: [a]}\n  - {key: v, label: b, rows: [b], words: [b]}\n",
        encoding="utf-8",
    )
    with pytest.raises(AttributeLexiconError, match="duplicate key"):
        AttributeLexicon.load(bad)
