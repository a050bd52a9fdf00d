"""The search of everything a turn's rules read is run once per question and index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from assistant.content.documents import Document
from assistant.dialogue.knowledge import _CALIBRATED_ENCODER, KnowledgeAnswerer
from assistant.retrieval.retriever import Hit, HybridRetriever


@dataclass
class _Encoder:
    name: str = _CALIBRATED_ENCODER


@dataclass
class CountingRetriever:
    """Stands in for the hybrid retriever: no hits, and how often it was asked."""

    embedder: _Encoder = field(default_factory=_Encoder)
    documents: list[Document] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    def search(self, query: str, **_: Any) -> list[Hit]:
        self.queries.append(query)
        return []


def test_the_rules_of_one_turn_share_one_search_of_everything() -> None:
    retriever = CountingRetriever()
    knowledge = KnowledgeAnswerer(retriever=cast(HybridRetriever, retriever))
    for _ in range(3):  # the fault rule and the general-passage rule of one turn, and again
        assert not knowledge.general_first("修好以后还能保多久", products=(), others=())
    assert retriever.queries == ["修好以后还能保多久"]
    knowledge.general_first("hart回路要串多大电阻", products=(), others=())
    assert len(retriever.queries) == 2  # another question searches again
    retriever.documents = []  # a new index (a new list of documents): searched again
    knowledge.general_first("hart回路要串多大电阻", products=(), others=())
    assert len(retriever.queries) == 3
