"""Builds the dialogue engine with its skills from loaded components."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.content.loader import Corpus, load_corpus
from assistant.dialogue.nlu_cache import TrainedWeights
from assistant.retrieval.embedders import Embedder, make_embedder
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.dialogue.engine import DialogueEngine


@dataclass(frozen=True, slots=True)
class Sources:
    """Where an engine's knowledge comes from: a corpus directory and the index built
    from it (the seed's, or a published release's: :mod:`assistant.api.content_sync`)."""

    corpus_dir: Path
    index_dir: Path

    @classmethod
    def seed(cls, settings: Settings) -> Sources:
        return cls(corpus_dir=settings.corpus_dir, index_dir=settings.index_dir)


def load_components(
    settings: Settings, sources: Sources | None = None, *, embedder: Embedder | None = None
) -> tuple[Corpus, HybridRetriever]:
    """The corpus and the loaded hybrid index of ``sources`` (default: the settings' seed);
    ``embedder``: one already loaded (a switch to new content keeps the model)."""
    sources = sources or Sources.seed(settings)
    corpus = load_corpus(sources.corpus_dir)
    if embedder is None:
        embedder = make_embedder(
            settings.embedder, threads=settings.embed_threads, batch_size=settings.embed_batch_size
        )
    retriever = HybridRetriever(sources.index_dir, settings=settings, embedder=embedder)
    retriever.load()
    return corpus, retriever


def build_engine(
    *, corpus: Corpus, retriever: HybridRetriever, provisional: TrainedWeights | None = None, **skills: Any
) -> DialogueEngine:
    """An engine over ``corpus`` and ``retriever``.  ``provisional``: NLU weights of an earlier
    corpus to use when this one's are not trained yet (see :class:`~assistant.dialogue.nlu.Nlu`)."""
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
            provisional=provisional,
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
