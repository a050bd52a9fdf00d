"""``python -m eval fusion``'s choice on two tiny made-up datasets that no fixed weight can
serve both: one where BM25 is right and the encoder unsure, one where the encoder is sure
and right and BM25 prefers a look-alike."""

from __future__ import annotations

from assistant.settings import Settings
from eval.fusion import DEFAULT_WEIGHTS, choose

LEXICAL = [
    {
        "qid": "a",
        "rel": {"r": 1},
        "bm25": [["r", 10.0], ["x", 5.0], ["y", 1.0]],
        "dense": [["x", 0.45], ["r", 0.20], ["y", 0.10]],
    }
]
PARAPHRASE = [
    {
        "qid": "b",
        "rel": {"r": 1},
        "bm25": [["x", 10.0], ["r", 8.0], ["y", 1.0]],
        "dense": [["r", 0.92], ["x", 0.80], ["y", 0.30]],
    }
]


def test_no_fixed_weight_serves_both_but_the_cosine_following_one_does() -> None:
    result = choose({"lexical": LEXICAL, "paraphrase": PARAPHRASE}, settings=Settings(), weights=DEFAULT_WEIGHTS)
    assert result["fixed_sweep"][0]["worst_margin"] < 0  # every fixed weight loses one of them
    assert result["top_configs"][0]["worst_margin"] == 0  # at the better side on both
    chosen = result["chosen"]
    assert chosen["high"] > chosen["low"]
    assert result["per_dataset"]["lexical"][chosen["name"]]["recall@1"] == 1.0
    assert result["per_dataset"]["paraphrase"][chosen["name"]]["recall@1"] == 1.0
    assert result["margins"]["rrf"]["paraphrase"] < 0  # the old fusion follows BM25 there
    assert [row["held_out"] for row in result["leave_one_out"]] == ["lexical", "paraphrase"]
