from __future__ import annotations

import pytest

from assistant.retrieval.tokenizer import Tokenizer, UserDictionary


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer(UserDictionary.from_terms(["X200-Pro", "EG-2100-Pro", "SN-VB500-Pro", "MP-CLD-STD", "云眸平台"]))


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("X200-Pro 的参数是多少", "x200-pro"),
        ("EG-2100-Pro支持几个串口", "eg-2100-pro"),
        ("ＥＧ－２１００－ＰＲＯ 功耗", "eg-2100-pro"),  # full-width input
        ("eg2100pro 怎么接线", "eg-2100-pro"),  # typed without separators
        ("SN-VB500-Pro电池寿命", "sn-vb500-pro"),
        ("上海交通大学的案例", "上海交通大学"),
    ],
)
def test_model_numbers_and_names_stay_whole(tok: Tokenizer, text: str, whole: str) -> None:
    assert whole in tok.tokenize(text)


def test_compound_model_also_emits_parts_for_half_remembered_queries(tok: Tokenizer) -> None:
    tokens = tok.tokenize("EG-2100-Pro")
    assert tokens[0] == "eg-2100-pro"
    assert {"eg", "2100", "pro"} <= set(tokens)
    # "2100 pro" (half-remembered) shares tokens with the full model number
    assert {"2100", "pro"} <= set(tok.tokenize("2100 pro 那款"))


def test_user_words_beat_default_segmentation() -> None:
    plain = Tokenizer()
    custom = Tokenizer(UserDictionary.from_terms(["云眸平台"]))
    assert "云眸平台" not in plain.tokenize("云眸平台怎么收费")
    assert "云眸平台" in custom.tokenize("云眸平台怎么收费")


def test_punctuation_and_stopwords_dropped(tok: Tokenizer) -> None:
    tokens = tok.tokenize("请问，这个网关的质保是多久呢？？")
    assert "，" not in tokens and "的" not in tokens and "呢" not in tokens
    assert "网关" in tokens and "质保" in tokens


def test_user_dictionary_round_trips() -> None:
    d = UserDictionary.from_terms(["B", "a", "b", " "])
    assert d.words == ("a", "b")
    assert UserDictionary.loads(d.dumps()) == d
