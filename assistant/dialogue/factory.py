"""Builds the dialogue engine with its skills from loaded components."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from assistant.content.loader import Corpus, load_corpus
from assistant.retrieval.embedders import Embedder, make_embedder
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.dialogue.engine import DialogueEngine


def load_components(settings: Settings) -> tuple[Corpus, HybridRetriever]:
    """The corpus and the loaded hybrid index the settings name."""
    corpus = load_corpus(settings.corpus_dir)
    embedder = make_embedder(settings.embedder, threads=settings.embed_threads, batch_size=settings.embed_batch_size)
    retriever = HybridRetriever(settings.index_dir, settings=settings, embedder=embedder)
    retriever.load()
    return corpus, retriever


def build_engine(*, corpus: Corpus, retriever: HybridRetriever, **skills: Any) -> DialogueEngine:
    from assistant.dialogue.engine import DialogueEngine
    from assistant.dialogue.nlu import Nlu
    from assistant.dialogue.training import dev_examples

    return DialogueEngine(
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


def nlu_encoder(retriever: HybridRetriever) -> Embedder | None:
    """The sentence embedder the NLU mixes in: the retriever's own when it is the same model."""
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
