"""An engine worker process across content switches (assistant/dialogue/pool.py): a turn
that read the generation just before a flip is answered by that generation's engine even
after turns of the new one reached the worker (found by `eval reindex`: KeyError)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from assistant.dialogue.factory import Sources
from assistant.dialogue.pool import _Prepare, _serve
from assistant.dialogue.types import Caller, CustomerProfile
from assistant.retrieval.embedders import HashEmbedder
from assistant.settings import Settings
from indexer.build import build_from_corpus
from tests.conftest import FIXTURE_CORPUS

pytestmark = pytest.mark.slow


def test_a_worker_answers_the_generation_a_turn_started_in(tmp_path: Path, corpus_dir: Path) -> None:
    settings = Settings(
        corpus_dir=FIXTURE_CORPUS,
        index_dir=tmp_path / "seed-index",
        embedder="hash-64",
        nlu_cache_dir=tmp_path / "nlu",
        nlu_encoder="",
    )
    build_from_corpus(
        FIXTURE_CORPUS, out=settings.index_dir, settings=settings, embedder=HashEmbedder(64), progress=False
    )
    faq = corpus_dir / "faq" / "faq.yaml"
    faq.write_text(faq.read_text(encoding="utf-8").replace("标准质保 24 个月", "标准质保 36 个月"), encoding="utf-8")
    build_from_corpus(
        corpus_dir, out=tmp_path / "new-index", settings=settings, embedder=HashEmbedder(64), progress=False
    )
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    worker = ctx.Process(target=_serve, args=(theirs, settings, Sources.seed(settings)), daemon=True)
    worker.start()
    try:
        assert ours.poll(120)
        ours.recv()  # the worker's pid: ready

        def turn(generation: int) -> str:
            ours.send(
                (
                    generation,
                    "网关的质保期是多久？",
                    CustomerProfile(),
                    Caller(user_id="u", partner_id="P-1"),
                    (),
                    None,
                    None,
                )
            )
            ok, reply = ours.recv()
            assert ok, reply
            return str(reply.text)

        ours.send(_Prepare(1, Sources(corpus_dir=corpus_dir, index_dir=tmp_path / "new-index"), True))
        assert ours.recv()[0] is True
        assert "36 个月" in turn(1)
        assert "24 个月" in turn(0)  # started before the flip: its own generation, not an error
        ours.send(_Prepare(2, Sources.seed(settings), True))
        assert ours.recv()[0] is True
        assert "24 个月" in turn(2)
        assert "24 个月" in turn(0)  # two switches old: the newest engine answers
        assert "36 个月" in turn(1)
    finally:
        ours.send(None)
        worker.join(10)
