"""Published content to answers, without a restart: write out, index, switch.

A publish (``ContentStore.publish``) adds a release row.  :class:`ContentSync` runs one
background thread per instance that, for the newest release this instance does not serve:

1. writes the published entries out as a corpus directory (``corpora/r<release>``);
2. builds its index (``index/``; only changed texts are embedded, the rest of the vectors
   come from the live build or the seed index), the build directory renamed into place
   only when complete;
3. switches the engines (the serving process's and every worker's) to it between turns,
   with the NLU's dictionaries of the new corpus and, until they are trained, the old
   weights (answers change at once);
4. trains the NLU for the new corpus if it must, in a process of its own (turns and the
   next publish never wait for it), and switches again when the weights are ready.

A failure in 1-3 leaves the previous content serving and the release ``failed`` with the
reason; the next publish tries again.  The release rows carry the stage and progress the
editor shows.  Releases published on another instance are found by polling the database
(``content_poll_seconds``), so every instance follows.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
import shutil
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path

from assistant.content.store import BUILDING, FAILED, LIVE, ContentStore
from assistant.dialogue.factory import Sources
from assistant.errors import AssistantError
from assistant.retrieval.embedders import Embedder
from assistant.settings import Settings

log = logging.getLogger(__name__)

KEEP_CORPORA = 3

# switch(sources, provisional) -> True when an engine took provisional NLU weights
Switch = Callable[[Sources, bool], bool]


def content_dir(settings: Settings, instance: str) -> Path:
    if settings.content_dir is not None:
        return settings.content_dir
    return settings.index_dir.parent / "content" / re.sub(r"[^A-Za-z0-9_.-]", "_", instance)


class ContentSync:
    def __init__(
        self,
        *,
        settings: Settings,
        store: ContentStore,
        work_dir: Path,
        embedder: Callable[[], Embedder],
        switch: Switch,
    ) -> None:
        self.settings = settings
        self.store = store
        self.work_dir = work_dir
        self._embedder = embedder
        self._switch = switch
        self.serving = 0  # the release this instance answers from (0: the seed corpus)
        self._failed = 0  # the newest release whose build failed here (not retried)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one build at a time
        # The release whose intent model is to be trained, the process training it (None until
        # due) and when it is due.
        self._training: tuple[int, Sources, BaseProcess | None, float] | None = None

    # -- start-up ---------------------------------------------------------------------

    def sources_at_start(self) -> Sources:
        """What to load at start: the seed, or the newest release written out and indexed
        (an unchanged release reuses its index; one interrupted mid-build is built now)."""
        latest = self.store.latest_release_id()
        if latest == 0:
            return Sources.seed(self.settings)
        releases = self.store.unfinished_releases(latest)
        sources = self._prepare(latest, releases)
        self.store.mark_release(releases, status=LIVE, stage="live", progress=1.0, build_id=sources.index_dir.name)
        self.serving = latest
        return sources

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="content-sync", daemon=True)
        self._thread.start()

    def published(self) -> None:
        """A release was published on this instance: build it now."""
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._stop_trainer()

    # -- the loop ---------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            # While the intent model trains, look at the trainer often; else at the database.
            self._wake.wait(0.2 if self._training is not None else self.settings.content_poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.catch_up()
                self._finish_training()
            except Exception:  # the thread must survive anything; the release says why
                log.exception("content sync failed")

    def catch_up(self) -> bool:
        """Serve the newest release if it is not served yet; True when it switched."""
        with self._lock:
            latest = self.store.latest_release_id()
            if latest <= max(self.serving, self._failed):
                return False
            releases = self.store.unfinished_releases(latest)
            started = time.perf_counter()
            try:
                sources = self._prepare(latest, releases)
                self._mark(releases, "switch", 0.8)
                provisional = self._switch(sources, True)
            except (AssistantError, OSError, ValueError, KeyError, RuntimeError) as exc:
                self._failed = latest
                reason = f"{type(exc).__name__}: {exc}"
                log.error("release %d not served: %s", latest, reason)
                self.store.mark_release(releases, status=FAILED, stage="failed", error=reason)
                return False
            self.serving = latest
            self.store.mark_release(releases, status=LIVE, stage="live", progress=1.0, build_id=sources.index_dir.name)
            log.info("release %d serving after %.2fs", latest, time.perf_counter() - started)
            if provisional:  # answers are new already; the intent model catches up
                self._train(latest, sources)
            self._prune(keep=latest)
            return True

    # -- the intent model ---------------------------------------------------------------

    def _train(self, release: int, sources: Sources) -> None:
        """Train the intent model for ``sources`` once the content has been quiet for
        ``content_train_delay_seconds`` (an editor publishing item after item does not start
        a training per item), in a process of its own (its weights go to the NLU cache), so
        neither turns nor the next publish wait for it; a newer release replaces a training
        due or running."""
        self._stop_trainer()
        if self.settings.nlu_cache_dir is None:  # no cache to hand the weights over: train here
            self._switch(sources, False)
            return
        self._training = (release, sources, None, time.monotonic() + self.settings.content_train_delay_seconds)

    def _finish_training(self) -> None:
        """Start the training when due; when it is done, switch every engine to the trained
        weights (read from the cache: quick) if its release still serves."""
        if self._training is None:
            return
        release, sources, trainer, due = self._training
        if trainer is None:
            if time.monotonic() < due:
                return
            from assistant.dialogue.pool import train_intent_model

            ctx = multiprocessing.get_context("spawn")
            trainer = ctx.Process(
                target=train_intent_model, args=(self.settings, sources), name="nlu-trainer", daemon=True
            )
            trainer.start()
            self._training = (release, sources, trainer, due)
            return
        if trainer.is_alive():
            return
        self._training = None
        if trainer.exitcode != 0:
            log.error(
                "release %d: training the intent model failed (exit %s); the earlier one serves",
                release,
                trainer.exitcode,
            )
            return
        with self._lock:
            if self.serving != release:
                return
            try:
                self._switch(sources, False)
            except (AssistantError, OSError, ValueError, KeyError, RuntimeError) as exc:
                log.error("release %d: switching to the trained intent model failed (%s)", release, exc)
                return
        log.info("release %d: intent model trained for the new content", release)

    def _stop_trainer(self) -> None:
        if self._training is not None:
            trainer = self._training[2]
            if trainer is not None:
                if trainer.is_alive():
                    trainer.terminate()
                trainer.join(timeout=10)
            self._training = None

    def _prepare(self, release: int, releases: list[int]) -> Sources:
        """Write release ``release`` out and index it (unless its index is current)."""
        from assistant.retrieval import artifact
        from indexer.build import build_from_corpus, corpus_is_stale

        self._mark(releases, "materialize", 0.1)
        corpus_dir = self.work_dir / "corpora" / f"r{release}"
        self.store.materialize(corpus_dir)
        index_dir = self.work_dir / "index"
        embedder = self._embedder()
        if corpus_is_stale(corpus_dir, index_dir, model=embedder.name):
            self._mark(releases, "index", 0.3)
            report = build_from_corpus(
                corpus_dir,
                out=index_dir,
                settings=self.settings,
                embedder=embedder,
                progress=False,
                reuse_from=(self.settings.index_dir,),
            )
            build = report.path
            log.info(
                "release %d indexed: %d texts embedded, %d reused", release, report.texts_embedded, report.texts_reused
            )
        else:
            build = artifact.resolve(index_dir)
        # The build directory itself: a later build re-points "current", not this engine's index.
        return Sources(corpus_dir=corpus_dir, index_dir=build)

    def _mark(self, releases: list[int], stage: str, progress: float) -> None:
        self.store.mark_release(releases, status=BUILDING, stage=stage, progress=progress)

    def _prune(self, *, keep: int) -> None:
        corpora = self.work_dir / "corpora"
        done = sorted(
            (p for p in corpora.iterdir() if p.is_dir() and re.fullmatch(r"r\d+", p.name)),
            key=lambda p: int(p.name[1:]),
        )
        for old in done[:-KEEP_CORPORA]:
            if old.name != f"r{keep}":
                shutil.rmtree(old, ignore_errors=True)
