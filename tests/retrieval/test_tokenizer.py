from __future__ import annotations

import pytest

from assistant.retrieval.tokenizer import Tokenizer, UserDictionary, model_aliases


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


def test_ascii_runs_are_never_split_by_jieba() -> None:
    tok = Tokenizer()
    assert "3200" in tok.tokenize("3200的网口是千兆的吧")
    assert "700r" in tok.tokenize("700r主备切一次要多少ms")


def test_unambiguous_short_forms_map_to_the_model_number() -> None:
    words = ["EC-700-R", "SN-VB500-Pro", "CM-LR1", "EG-5800", "EG-2100", "EG-2100-Pro", "EC-300", "EG-mini-S"]
    tok = Tokenizer(UserDictionary.from_terms(words))
    assert tok.tokenize("700r 主备切换")[0] == "ec-700-r"
    assert tok.tokenize("vb500 传多远")[0] == "sn-vb500-pro"
    assert tok.tokenize("lr1基站")[0] == "cm-lr1"
    assert tok.tokenize("5800几U")[0] == "eg-5800"
    assert tok.tokenize("mini-s 电池")[0] == "eg-mini-s"
    # ambiguous or too short: left as typed (its parts still match both models)
    assert tok.tokenize("2100 功耗")[0] == "2100"
    assert tok.tokenize("300万的单子")[0] == "300"


def test_model_aliases_skip_ambiguous_forms() -> None:
    aliases = model_aliases(["eg-3200", "eg-3200-5g", "ec-700-r"])
    assert aliases["32005g"] == "eg-3200-5g"
    assert "3200" not in aliases  # both EG-3200 and EG-3200-5G
    assert aliases["700r"] == "ec-700-r"


def test_synonyms_and_cues_emit_their_canonical_term() -> None:
    tok = Tokenizer(
        UserDictionary.from_terms(["钢铁冶金", "华南"], {"钢厂": "钢铁冶金", "深圳": "华南", "多少": "参数"})
    )
    tokens = tok.tokenize("深圳有没有钢厂的案例 功耗多少")
    assert {"钢厂", "钢铁冶金", "深圳", "华南", "参数"} <= set(tokens)
    assert "多少" not in tokens  # still a stop word; only its cue survives
    round_trip = UserDictionary.loads(tok.user_dict.dumps())
    assert round_trip == tok.user_dict
