"""Builds the dialogue engine with its skills from loaded components."""

from __future__ import annotations

from typing import Any

from assistant.chat.service import Engine
from assistant.content.loader import Corpus
from assistant.retrieval.retriever import HybridRetriever


def build_engine(*, corpus: Corpus, retriever: HybridRetriever, **skills: Any) -> Engine:
    from assistant.dialogue.engine import DialogueEngine
    from assistant.dialogue.nlu import Nlu
    from assistant.dialogue.training import dev_examples

    engine: Engine = DialogueEngine(
        corpus=corpus,
        retriever=retriever,
        nlu=Nlu(corpus=corpus, tokenizer=retriever.tokenizer, examples=dev_examples()),
        **skills,
    )
    return engine
