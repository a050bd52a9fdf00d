"""Incremental rebuild, atomic switch, failed-build fallback, reload without restart."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from assistant.content.loader import CorpusError
from assistant.retrieval import artifact
from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.retriever import HybridRetriever, ModelMismatchError
from assistant.settings import Settings
from indexer.__main__ import main as indexer_main
from indexer.build import build_from_corpus, corpus_is_stale


def _edit_faq_answer(corpus_dir: Path, faq_id: str, answer: str) -> None:
    path = corpus_dir / "faq" / "faq.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for e in entries:
        if e["id"] == faq_id:
            e["answer"] = answer
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")


def test_manifest_records_counts_model_and_hashes(built_index: Path) -> None:
    manifest = artifact.load_manifest(built_index)
    assert manifest["counts"] == {"product": 2, "script": 2, "case": 2, "faq": 3, "lesson": 1}
    assert manifest["model"] == {"name": "hash-64", "dim": 64}
    assert "EG-2100#params" in manifest["document_hashes"]
    assert set(manifest["timings"]) >= {"bm25_s", "embed_s", "faiss_s", "total_s"}
    assert any(name.startswith("faq/") for name in manifest["source_hashes"])


def test_rebuild_after_one_change_reembeds_only_that_document(
    corpus_dir: Path, settings: Settings, built_index: Path
) -> None:
    unchanged = HashEmbedder(64)
    report = build_from_corpus(corpus_dir, out=built_index, settings=settings, embedder=unchanged, progress=False)
    assert report.texts_embedded == 0 and unchanged.texts_encoded == 0

    _edit_faq_answer(corpus_dir, "FAQ-WAR-001", "边缘网关标准质保 36 个月。")
    counting = HashEmbedder(64)
    report = build_from_corpus(corpus_dir, out=built_index, settings=settings, embedder=counting, progress=False)
    # FAQ-WAR-001 has three dense texts: question, one variant, question+answer. Only the last changed.
    assert report.texts_embedded == 1
    assert counting.texts_encoded == 1
    assert report.texts_reused == report.manifest["n_vectors"] - 1


def test_failed_build_leaves_previous_index_serving(
    corpus_dir: Path, settings: Settings, built_index: Path, retriever: HybridRetriever
) -> None:
    before = artifact.resolve(built_index)
    (corpus_dir / "faq" / "broken.yaml").write_text(
        "- id: FAQ-X\n  category: installation\n  answer: 缺少问题\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError) as info:
        build_from_corpus(corpus_dir, out=built_index, settings=settings, embedder=HashEmbedder(64), progress=False)
    assert any(p.startswith("corpus/faq/broken.yaml: FAQ-X.question:") for p in info.value.problems)
    assert artifact.resolve(built_index) == before
    assert retriever.reload() is False
    assert retriever.search("质保", k=1)


def test_cli_reports_file_and_field_and_exits_nonzero(
    corpus_dir: Path, built_index: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hash")
    path = corpus_dir / "products" / "gateways.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("warranty_months: 24", "warranty_months: 两年"), encoding="utf-8"
    )
    before = artifact.resolve(built_index)
    assert indexer_main(["build", str(corpus_dir), "--out", str(built_index), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "corpus/products/gateways.yaml: EG-2100.warranty_months:" in err
    assert artifact.resolve(built_index) == before


def test_new_build_switches_atomically_and_reload_picks_it_up(
    corpus_dir: Path, settings: Settings, built_index: Path, retriever: HybridRetriever
) -> None:
    old = artifact.resolve(built_index)
    assert (built_index / "current").is_symlink()
    _edit_faq_answer(corpus_dir, "FAQ-REB-001", "返利按季度净销售额分档，最高档 300 万以上 5%，另有增量激励。")
    build_from_corpus(corpus_dir, out=built_index, settings=settings, embedder=HashEmbedder(64), progress=False)
    new = artifact.resolve(built_index)
    assert new != old and not list((built_index / "builds").glob("*.partial"))
    assert [h.document.id for h in retriever.search("增量激励", k=1, mode="bm25")] != ["FAQ-REB-001"]  # old build
    assert retriever.reload() is True
    assert retriever.search("增量激励", k=1, mode="bm25")[0].document.id == "FAQ-REB-001"


def test_partial_build_directory_is_never_served(built_index: Path) -> None:
    partial = built_index / "builds" / "29990101T000000000000.partial"
    partial.mkdir()
    (partial / "documents.jsonl").write_text("", encoding="utf-8")
    assert artifact.resolve(built_index) != partial.resolve()


def test_an_index_is_stale_when_the_code_cuts_the_corpus_otherwise(
    corpus_dir: Path, built_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No corpus file changed, but documents are made another way (a new label, another title)."""
    from indexer import build

    assert not corpus_is_stale(corpus_dir, built_index, model="hash-64")
    cut = build.chunk_corpus
    monkeypatch.setattr(
        build,
        "chunk_corpus",
        lambda corpus: [replace(d, title=d.title + " ") if i == 0 else d for i, d in enumerate(cut(corpus))],
    )
    assert corpus_is_stale(corpus_dir, built_index, model="hash-64")


def test_stale_detection(corpus_dir: Path, built_index: Path) -> None:
    assert not corpus_is_stale(corpus_dir, built_index, model="hash-64")
    assert corpus_is_stale(corpus_dir, built_index, model="usem3")
    _edit_faq_answer(corpus_dir, "FAQ-INS-001", "换一个答案。")
    assert corpus_is_stale(corpus_dir, built_index, model="hash-64")
    assert corpus_is_stale(corpus_dir, built_index.parent / "nowhere", model="hash-64")


def test_index_built_with_another_model_is_refused(built_index: Path, settings: Settings) -> None:
    r = HybridRetriever(built_index, settings=settings, embedder=HashEmbedder(32))
    with pytest.raises(ModelMismatchError):
        r.load()


def test_manifest_is_valid_json_written_last(built_index: Path) -> None:
    build = artifact.resolve(built_index)
    files = {p.name for p in build.iterdir()}
    assert {"manifest.json", "documents.jsonl", "vectors.npy", "bm25_title.npz", "userdict.txt"} <= files
    json.loads((build / "manifest.json").read_text(encoding="utf-8"))


_KILLED_BUILD = """
import sys, time
from pathlib import Path
from assistant.retrieval import artifact
from assistant.retrieval.embedders import HashEmbedder
from assistant.settings import Settings
from indexer.build import build_from_corpus

corpus, out, marker = map(Path, sys.argv[1:4])

def stall(path):  # every file of the new build is written; the rename has not happened
    if path.name.endswith(".partial"):
        marker.write_text("writing", encoding="utf-8")
        time.sleep(600)

artifact._fsync_dir = stall
settings = Settings(index_dir=out, embedder="hash")
build_from_corpus(corpus, out=out, settings=settings, embedder=HashEmbedder(64), progress=False)
"""


def test_a_build_killed_before_its_rename_leaves_the_previous_build_serving(
    corpus_dir: Path, settings: Settings, built_index: Path, tmp_path: Path
) -> None:
    old = artifact.resolve(built_index)
    _edit_faq_answer(corpus_dir, "FAQ-REB-001", "被中断的构建里的答案。")
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_BUILD, str(corpus_dir), str(built_index), str(marker)],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the build never reached its rename"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert list((built_index / "builds").glob("*.partial"))  # killed with a complete-looking partial
    assert artifact.resolve(built_index) == old
    loaded = artifact.load(built_index)
    assert all("被中断" not in d.text for d in loaded.documents)
    # The next build completes, serves the edit and clears the abandoned directory.
    build_from_corpus(corpus_dir, out=built_index, settings=settings, embedder=HashEmbedder(64), progress=False)
    assert artifact.resolve(built_index) != old
    assert any("被中断" in d.text for d in artifact.load(built_index).documents)
    assert not list((built_index / "builds").glob("*.partial"))
