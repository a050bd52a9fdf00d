"""Builds the dialogue engine with its skills from loaded components."""

from __future__ import annotations

import threading
from typing import Any

from assistant.chat.service import Engine
from assistant.content.loader import Corpus
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.retriever import HybridRetriever


def build_engine(*, corpus: Corpus, retriever: HybridRetriever, **skills: Any) -> Engine:
    from assistant.dialogue.engine import DialogueEngine
    from assistant.dialogue.nlu import Nlu
    from assistant.dialogue.training import dev_examples

    engine: Engine = DialogueEngine(
        corpus=corpus,
        retriever=retriever,
        nlu=Nlu(
            corpus=corpus,
            tokenizer=retriever.tokenizer,
            examples=dev_examples(),
            cache_dir=retriever.settings.nlu_cache_dir,
            encoder=nlu_encoder(retriever),
        ),
        **skills,
    )
    return engine


def nlu_encoder(retriever: HybridRetriever) -> Embedder | None:
    """The sentence embedder the NLU mixes in: the retriever's own when it is the same model."""
    from assistant.retrieval.embedders import make_embedder

    name = retriever.settings.nlu_encoder
    if not name:
        return None
    if retriever.embedder.name == name:
        return retriever.embedder
    with _ENCODERS_LOCK:  # loaded once per process: a model load takes seconds
        encoder = _ENCODERS.get(name)
        if encoder is None:
            encoder = make_embedder(name, threads=retriever.settings.embed_threads)
            encoder.warm_up()
            _ENCODERS[name] = encoder
    return encoder


_ENCODERS: dict[str, Embedder] = {}
_ENCODERS_LOCK = threading.Lock()
