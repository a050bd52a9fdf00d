"""Corpus -> index artifact: validate, chunk, tokenise, embed, BM25 + FAISS, manifest.

Vectors are reused from the live build for every text whose content key (model
name + text hash) is unchanged, so editing one document re-embeds only it.
A failure anywhere before the final rename leaves the previous build serving.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from assistant.content.documents import KINDS, Document, chunk_corpus
from assistant.content.loader import KIND_DIRS, Corpus, load_corpus
from assistant.errors import AssistantError
from assistant.retrieval import artifact
from assistant.retrieval.bm25 import SparseBM25
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.tokenizer import Tokenizer, UserDictionary
from assistant.settings import Settings

log = logging.getLogger(__name__)

# The dense side embeds a document's title phrasings (an FAQ's question and its
# variants) separately and its title+body once; a hit is the best of its vectors.
MAX_DENSE_BODY_CHARS = 400


@dataclass(frozen=True)
class BuildReport:
    path: Path
    manifest: dict[str, Any]
    texts_embedded: int
    texts_reused: int


def dense_texts(doc: Document) -> list[str]:
    texts: list[str] = []
    for phrase in (doc.title, *doc.alt_titles):
        if phrase.strip() and phrase not in texts:
            texts.append(phrase)
    if doc.text.strip():
        texts.append(f"{doc.title} {doc.text[:MAX_DENSE_BODY_CHARS]}".strip())
    return texts


def corpus_terms(corpus: Corpus) -> list[str]:
    """Words the tokenizer must keep whole: model numbers, names, units, industries..."""
    terms: list[str] = [corpus.vocab.company, *corpus.vocab.terms]
    for group in (corpus.vocab.industries, corpus.vocab.regions, corpus.vocab.competitors):
        for term in group:
            terms.append(term.name)
            terms.extend(term.synonyms)
    for line in corpus.product_lines:
        terms += [line.id, line.name, line.name_en]
    for p in corpus.products:
        terms += [p.id, p.name, p.name_en]
        terms += [param.name for param in p.params]
        terms += [param.unit for param in p.params if len(param.unit) > 1]
        terms += [c.competitor_model for c in p.competitors]
    for c in corpus.cases:
        terms.append(c.customer)
    return [t for t in terms if t]


def corpus_synonyms(corpus: Corpus) -> dict[str, str]:
    """Synonym -> canonical term from the vocabulary ("钢厂" -> "钢铁冶金", "深圳" -> "华南")."""
    pairs: dict[str, str] = {}
    for group in (corpus.vocab.industries, corpus.vocab.regions, corpus.vocab.competitors, corpus.vocab.cues):
        for term in group:
            for synonym in term.synonyms:
                pairs.setdefault(synonym, term.name)
    return pairs


def corpus_user_dictionary(corpus: Corpus) -> UserDictionary:
    return UserDictionary.from_terms(corpus_terms(corpus), corpus_synonyms(corpus))


def build_from_corpus(
    corpus_dir: Path,
    *,
    out: Path,
    settings: Settings,
    embedder: Embedder,
    progress: bool = True,
    reuse_from: Sequence[Path] = (),
) -> BuildReport:
    """``reuse_from``: other index directories whose vectors may be reused (besides
    ``out``'s live build), e.g. the seed index when content is first published."""
    t0 = time.perf_counter()
    corpus = load_corpus(corpus_dir)  # raises CorpusError before anything is written
    documents = chunk_corpus(corpus)
    counts = {
        "product": len(corpus.products),
        "script": len(corpus.scripts),
        "case": len(corpus.cases),
        "faq": len(corpus.faqs),
        "lesson": len(corpus.lessons),
    }
    source_hashes = _hash_files(corpus_dir)
    return build_index(
        documents,
        out=out,
        settings=settings,
        embedder=embedder,
        extra_terms=corpus_terms(corpus),
        synonyms=corpus_synonyms(corpus),
        counts=counts,
        source_hashes=source_hashes,
        progress=progress,
        started=t0,
        reuse_from=reuse_from,
    )


def build_index(
    documents: Sequence[Document],
    *,
    out: Path,
    settings: Settings,
    embedder: Embedder,
    extra_terms: Iterable[str] = (),
    synonyms: Mapping[str, str] | None = None,
    counts: dict[str, int] | None = None,
    source_hashes: dict[str, str] | None = None,
    progress: bool = True,
    started: float | None = None,
    reuse_from: Sequence[Path] = (),
) -> BuildReport:
    timings: dict[str, float] = {}
    t0 = started if started is not None else time.perf_counter()
    _check_unique_ids(documents)

    mark = time.perf_counter()
    user_dict = UserDictionary.from_terms(extra_terms, synonyms)
    tokenizer = Tokenizer(user_dict)
    title_tokens: list[list[str]] = []
    body_tokens: list[list[str]] = []
    for doc in tqdm(documents, desc="tokenize", unit="doc", disable=not progress, leave=False):
        title_tokens.append(tokenizer.tokenize(doc.title_field()))
        body_tokens.append(tokenizer.tokenize(doc.text))
    r = settings.retrieval
    bm25_title = SparseBM25.build(title_tokens, k1=r.bm25_k1, b=r.bm25_b)
    bm25_body = SparseBM25.build(body_tokens, k1=r.bm25_k1, b=r.bm25_b)
    timings["bm25_s"] = time.perf_counter() - mark

    mark = time.perf_counter()
    vectors, vector_doc, vector_keys, embedded, reused = _embed(
        documents, sources=(out, *reuse_from), embedder=embedder, settings=settings, progress=progress
    )
    timings["embed_s"] = time.perf_counter() - mark

    mark = time.perf_counter()
    hnsw = None
    if len(vectors) > settings.hnsw_threshold:
        hnsw = faiss.IndexHNSWFlat(vectors.shape[1], settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.add(vectors)
    timings["faiss_s"] = time.perf_counter() - mark

    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    timings["total_s"] = time.perf_counter() - t0
    manifest: dict[str, Any] = {
        "format": artifact.FORMAT_VERSION,
        "build_id": build_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {"name": embedder.name, "dim": int(embedder.dim)},
        "dense_index": "hnsw" if hnsw is not None else "flat",
        "counts": counts if counts is not None else dict(Counter(d.kind for d in documents)),
        "n_chunks": len(documents),
        "n_vectors": len(vectors),
        "vocabulary": {"title": len(bm25_title.vocabulary), "body": len(bm25_body.vocabulary)},
        "bm25": {"k1": r.bm25_k1, "b": r.bm25_b},
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "embedding": {"texts_embedded": embedded, "texts_reused": reused},
        "source_hashes": source_hashes or {},
        "document_hashes": {d.id: d.content_hash for d in documents},
    }
    path = artifact.write_build(
        index_dir=out,
        build_id=build_id,
        manifest=manifest,
        documents=documents,
        user_dict=user_dict,
        bm25_title=bm25_title,
        bm25_body=bm25_body,
        vectors=vectors,
        vector_doc=vector_doc,
        vector_keys=vector_keys,
        hnsw=hnsw,
    )
    log.info(
        "index %s built: %d chunks, %d vectors (%d embedded, %d reused) in %.2fs",
        build_id,
        len(documents),
        len(vectors),
        embedded,
        reused,
        timings["total_s"],
    )
    return BuildReport(path=path, manifest=manifest, texts_embedded=embedded, texts_reused=reused)


class DuplicateDocumentError(AssistantError):
    code = "duplicate_document"


def _check_unique_ids(documents: Sequence[Document]) -> None:
    dupes = [doc_id for doc_id, n in Counter(d.id for d in documents).items() if n > 1]
    if dupes:
        raise DuplicateDocumentError(f"duplicate document ids: {dupes[:10]}")


def _text_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()[:32]


def _previous_vectors(out: Path, model: str, dim: int) -> dict[str, npt.NDArray[np.float32]]:
    """Vectors of the live build, by content key, if it used the same model."""
    try:
        manifest, vectors, keys = artifact.load_vectors(out)
        if manifest["model"]["name"] != model or int(manifest["model"]["dim"]) != dim:
            return {}
    except (artifact.IndexNotFoundError, OSError, ValueError, KeyError):
        return {}
    return {key: vectors[i] for i, key in enumerate(keys)}


def _embed(
    documents: Sequence[Document], *, sources: Sequence[Path], embedder: Embedder, settings: Settings, progress: bool
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32], list[str], int, int]:
    embedder.warm_up()
    dim = int(embedder.dim)
    cache: dict[str, npt.NDArray[np.float32]] = {}
    for source in reversed(sources):  # the first source's vectors win
        cache.update(_previous_vectors(source, embedder.name, dim))
    texts: list[str] = []
    vector_doc: list[int] = []
    keys: list[str] = []
    for row, doc in enumerate(documents):
        for text in dense_texts(doc):
            texts.append(text)
            vector_doc.append(row)
            keys.append(_text_key(embedder.name, text))
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    batch = settings.embed_batch_size
    with tqdm(total=len(missing), desc="embed", unit="text", disable=not progress, leave=False) as bar:
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            encoded = embedder.encode([t for _, t in chunk])
            for (key, _), vec in zip(chunk, encoded, strict=True):
                cache[key] = vec
            bar.update(len(chunk))
    vectors = np.zeros((len(texts), dim), dtype=np.float32)
    for i, key in enumerate(keys):
        vectors[i] = cache[key]
    return vectors, np.asarray(vector_doc, dtype=np.int32), keys, len(missing), len(texts) - len(missing)


def _hash_files(root: Path) -> dict[str, str]:
    """Hashes of the files the index is built from (the knowledge content only:
    rebate, portal and expert data live beside it but do not affect the index)."""
    hashes: dict[str, str] = {}
    top = [root / "vocab.yaml", root / "product_lines.yaml"]
    kinds = [p for d in KIND_DIRS for p in (root / d).rglob("*") if p.suffix in {".yaml", ".yml"}]
    for path in sorted(p for p in [*top, *kinds] if p.is_file()):
        hashes[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return hashes


def corpus_is_stale(corpus_dir: Path, index_dir: Path, *, model: str) -> bool:
    """True when the index is missing, was built with another model, or its documents are not
    the ones the corpus makes today: a corpus file changed, or the code that cuts the corpus
    into documents did (a new field, another title)."""
    try:
        manifest = artifact.load_manifest(index_dir)
    except artifact.IndexNotFoundError:
        return True
    if manifest.get("model", {}).get("name") != model or manifest.get("source_hashes") != _hash_files(corpus_dir):
        return True
    documents = chunk_corpus(load_corpus(corpus_dir))
    return manifest.get("document_hashes") != {d.id: d.content_hash for d in documents}


__all__ = [
    "KINDS",
    "BuildReport",
    "build_from_corpus",
    "build_index",
    "corpus_is_stale",
    "corpus_synonyms",
    "corpus_user_dictionary",
    "dense_texts",
]
