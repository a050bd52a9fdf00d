"""Dialogue engines in worker processes: a turn's CPU on more than one core.

The service is one process (its conversation hub, handoff queue and rebate engine
live in its memory), and one process runs Python on one core at a time.  Most of a
turn's CPU, though, is understanding and answering it (sentence encoding, retrieval,
recommendation): pure work on read-only data.  :class:`EnginePool` runs that part in
worker processes, each with its own engine built from the same settings, while the
serving process stores, sends and runs the skills that need its services: a worker
hands a rebate or handoff turn back as a :class:`TurnPlan` and the serving process's
own engine answers it.

Each worker is a process at the end of a pipe; a turn takes an idle worker, sends the
turn, waits for the answer (the interpreter lock released meanwhile) and gives the
worker back.  If a worker dies, turns are answered in the serving process, as with
``engine_processes = 0``: nothing is lost but speed.

New content switches in two steps (:meth:`EnginePool.switch`): every worker first builds
an engine of the new *generation* beside the one it serves, then the pool's current
generation flips, at once for all: every turn names the generation it started in and is
answered by that generation's engines, here and in the worker.  A worker keeps the engine
it serves beside the new one, so a turn that read the generation just before a flip still
finds it; it drops older ones when it prepares the next.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from assistant.dialogue import academy
from assistant.dialogue.engine import SERVICE_INTENTS, DialogueEngine, TurnPlan
from assistant.dialogue.factory import Sources
from assistant.dialogue.state import DialogueState
from assistant.dialogue.types import Caller, CustomerProfile, Reply
from assistant.errors import AssistantError
from assistant.logs import bound_request, configure_logging, current_request_id
from assistant.settings import Settings

log = logging.getLogger(__name__)

# the generation, text, profile, caller, history, the engine's state, and the request id to log
# the turn with (assistant/logs.py)
_Request = tuple[int, str, CustomerProfile, Caller, tuple[str, ...], DialogueState | None, str | None]


@dataclass(frozen=True, slots=True)
class _Prepare:
    """Build the engine of ``generation`` from ``sources`` beside the ones serving."""

    generation: int
    sources: Sources
    provisional: bool  # take the serving NLU's weights when the new corpus's are not trained


class EnginePoolError(AssistantError):
    code = "engine_pool_failed"


def next_engine(
    settings: Settings, sources: Sources, current: DialogueEngine | None, *, provisional: bool, **skills: Any
) -> DialogueEngine:
    """An engine over ``sources`` that shares ``current``'s sentence model (and, with
    ``provisional``, its NLU weights until the new ones are trained)."""
    from assistant.dialogue.factory import build_engine, load_components

    corpus, retriever = load_components(settings, sources, embedder=current.retriever.embedder if current else None)
    weights = current.nlu.trained if provisional and current is not None else None
    return build_engine(corpus=corpus, retriever=retriever, provisional=weights, **skills)


def train_intent_model(settings: Settings, sources: Sources) -> None:
    """A process of its own: train the NLU for ``sources`` and leave the weights in the NLU
    cache (``settings.nlu_cache_dir``), where every engine then finds them."""
    configure_logging(settings.log_level)
    next_engine(settings, sources, None, provisional=False)


def _for_the_server(plan: TurnPlan) -> bool:
    """Turns the serving process's skills answer: rebates, handoff (and operations, by their
    intent), the caller's own advice ("我该学点什么") and sharing sessions ("最近有什么分享会")."""
    return plan.intent in SERVICE_INTENTS or (
        plan.task == "training"
        and (academy.asks_for_advice(plan.analysis.text) or academy.asks_about_mentoring(plan.analysis.text))
    )


def _serve(conn: Connection, settings: Settings, sources: Sources) -> None:
    """A worker process: build an engine (without skills: they live in the server),
    then answer turns until told to stop (None) or the pipe closes."""
    configure_logging(settings.log_level)  # a spawned process: JSON lines on the inherited stderr
    engines = {0: next_engine(settings, sources, None, provisional=False)}
    conn.send(os.getpid())
    while True:
        try:
            request: _Request | _Prepare | None = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        if isinstance(request, _Prepare):
            try:
                newest = engines[max(engines)]
                engine = next_engine(settings, request.sources, newest, provisional=request.provisional)
                # The one serving now and the new one: a turn that started before the last flip
                # still finds its engine; older ones go.
                for older in sorted(engines)[:-1]:
                    del engines[older]
                engines[request.generation] = engine
            except Exception as exc:
                conn.send((False, sendable(exc)))
            else:
                conn.send((True, bool(engine.nlu.provisional)))
            continue
        generation, text, profile, caller, history, state, request_id = request
        try:
            with bound_request(request_id):
                # A turn older than two switches (it waited through both) takes the newest.
                engine = engines.get(generation) or engines[max(engines)]
                plan = engine.understand(text=text, profile=profile, caller=caller, history=history, state=state)
                answer: Reply | TurnPlan = plan if _for_the_server(plan) else engine.respond(plan)
                log.debug("turn understood in engine process %d: intent=%s", os.getpid(), plan.intent)
        except Exception as exc:  # raised again in the serving process, as it would be in process
            conn.send((False, sendable(exc)))
        else:
            conn.send((True, answer))


def sendable(exc: Exception) -> Exception:
    """The error itself if it survives the pipe (pickled and rebuilt), else a RuntimeError
    with its text: an error that cannot be rebuilt must not take the worker down."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class _Generations:
    """What both switchable engines hold: the generation turns start in, with the serving
    process's engine of it, replaced as one tuple so a turn reads both from the same switch."""

    _current: tuple[int, DialogueEngine]

    @property
    def local(self) -> DialogueEngine:
        """The serving process's engine of the current generation."""
        return self._current[1]

    @property
    def generation(self) -> int:
        return self._current[0]


class EnginePool(_Generations):
    """An engine (the chat service's ``Engine``) that answers in worker processes.

    ``local`` is the serving process's engine, with the skills; ``settings`` are what
    each worker builds its own engine from (the same corpus, index and models)."""

    def __init__(
        self, *, local: DialogueEngine, settings: Settings, processes: int, sources: Sources | None = None
    ) -> None:
        if processes < 1:
            raise ValueError("an engine pool needs at least one process")
        self._current = (0, local)
        self._sources = sources or Sources.seed(settings)
        self._switching = threading.Lock()
        self._settings = settings
        self._processes: list[BaseProcess] = []
        # Idle workers' pipes; None once the pool is broken (each waiter passes it on).
        self._idle: queue.SimpleQueue[Connection | None] = queue.SimpleQueue()
        self._broken = threading.Event()
        self._size = processes
        self.worker_pids: tuple[int, ...] = ()

    def start(self, timeout: float = 300) -> None:
        """Start every worker and wait until each has built its engine."""
        ctx = multiprocessing.get_context("spawn")  # not fork: the server has threads by now
        pipes = []
        for n in range(self._size):
            ours, theirs = ctx.Pipe()
            process = ctx.Process(
                target=_serve, args=(theirs, self._settings, self._sources), name=f"engine-{n}", daemon=True
            )
            process.start()
            theirs.close()
            self._processes.append(process)
            pipes.append(ours)
        pids = []
        for conn in pipes:
            try:
                if not conn.poll(timeout):
                    raise EnginePoolError(f"an engine process did not start within {timeout:.0f} s")
                pids.append(int(conn.recv()))
            except EOFError as exc:
                self.close()
                raise EnginePoolError("an engine process failed to start (see its log)") from exc
            self._idle.put(conn)
        self.worker_pids = tuple(pids)
        log.info("engine pool ready: worker process(es) %s", self.worker_pids)

    def switch(self, sources: Sources, build_local: Callable[[], DialogueEngine], *, provisional: bool) -> bool:
        """Bring every worker to ``sources``, one at a time (the ones not yet asked keep
        serving the current generation; the switched ones wait, so each is asked once), then
        build the serving process's engine (``build_local``: after the workers, so NLU weights
        one of them trained are on disk for it; every worker serves meanwhile) and make them
        all answer every turn from now on.  True when any of the new engines took provisional
        NLU weights.  Raises (nothing switched) if one cannot build."""
        with self._switching:
            generation = self._current[0] + 1
            took_provisional = False
            prepared: set[int] = set()
            held: list[Connection] = []  # out of the queue until every worker has the new engine
            try:
                while len(prepared) < self._size:
                    conn = self._idle.get()
                    if conn is None:  # broken: the serving process answers everything
                        self._idle.put(None)
                        break
                    held.append(conn)
                    if id(conn) in prepared:
                        continue
                    try:
                        conn.send(_Prepare(generation, sources, provisional))
                        ok, payload = conn.recv()  # (True, took provisional weights) or (False, the error)
                    except (EOFError, OSError):
                        log.error("an engine process died while switching; answering in the serving process now")
                        held.remove(conn)
                        self._broken.set()
                        self._idle.put(None)
                        break
                    if not ok:
                        raise EnginePoolError(f"an engine process could not load the new content: {payload}")
                    took_provisional = took_provisional or bool(payload)
                    prepared.add(id(conn))
            finally:
                for conn in held:
                    self._idle.put(conn)
            local = build_local()
            self._current = (generation, local)
            self._sources = sources
            return took_provisional or bool(local.nlu.provisional)

    @property
    def broken(self) -> bool:
        """True once a worker died: turns are answered in the serving process since."""
        return self._broken.is_set()

    def handle(
        self,
        *,
        text: str,
        profile: CustomerProfile,
        caller: Caller,
        history: Sequence[str] = (),
        state: DialogueState | None = None,
    ) -> Reply:
        generation, local = self._current
        conn = self._idle.get()
        if conn is None:  # broken: wake the next waiter too, and answer here
            self._idle.put(None)
            return local.handle(text=text, profile=profile, caller=caller, history=history, state=state)
        try:
            conn.send((generation, text, profile, caller, tuple(history), state, current_request_id()))
            ok, answer = conn.recv()
        except (EOFError, OSError):
            log.error("an engine process died; answering in the serving process from now on")
            self._broken.set()
            self._idle.put(None)
            return local.handle(text=text, profile=profile, caller=caller, history=history, state=state)
        self._idle.put(conn)
        if not ok:
            raise answer
        return local.respond(answer) if isinstance(answer, TurnPlan) else answer

    def close(self) -> None:
        """Stop the workers; turns still waiting for one are answered in process."""
        self._broken.set()
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                break
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.send(None)
                conn.close()
        self._idle.put(None)
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():  # busy with a turn at shutdown
                process.terminate()


class InProcessEngine(_Generations):
    """The serving process's own engine (``engine_processes = 0``), switchable like the
    pool: a turn reads the engine once at its start and finishes on it."""

    def __init__(self, local: DialogueEngine) -> None:
        self._current = (0, local)

    def switch(self, sources: Sources, build_local: Callable[[], DialogueEngine], *, provisional: bool) -> bool:
        local = build_local()
        self._current = (self._current[0] + 1, local)
        return bool(local.nlu.provisional)

    def handle(
        self,
        *,
        text: str,
        profile: CustomerProfile,
        caller: Caller,
        history: Sequence[str] = (),
        state: DialogueState | None = None,
    ) -> Reply:
        return self._current[1].handle(text=text, profile=profile, caller=caller, history=history, state=state)
