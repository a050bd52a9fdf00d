"""``python -m eval chat --split test|dev --json OUT``: intent accuracy and slot F1.

Every labelled single question of the split goes through the NLU; every turn of
every conversation of the split goes through the dialogue engine, which carries
the customer profile from turn to turn (the reply's profile is the next turn's
input), so a conversation also checks what the engine remembers
(``profile_accuracy``: the turns whose ``profile`` label is fully matched).

The split rule is the one in eval/data/README.md: an item is ``test`` when the
first hex digit of sha256(id) is 0-7, else ``dev``.  The NLU's classifier trains
on its seed phrases plus the **dev** items only, whatever split is evaluated; on
``--split dev`` that is in-sample, so ``--cv K`` also reports a K-fold
cross-validated dev score (each fold trained on the other dev folds; the held-out
conversations also run through the engine, so ``profile_accuracy`` is
cross-validated too).  The NLU mixes in the sentence encoder named by
``--nlu-encoder`` (default: ``settings.nlu_encoder``), as the service does.

Slot F1 is micro-averaged over the (slot, value) pairs stated in each turn.

``--holdout PATH`` also scores the intents of a file of single utterances written
apart from the labelled set (the ``{text, intent}`` schema of
assistant/dialogue/data/utterances.yaml, e.g. ``eval/data/holdout/utterances.yaml``)
with the NLU configured as the service configures it (seeds, shipped utterances,
corpus phrases and the dev items; the same encoder): accuracy, per-intent scores
and the confusions as a ``gold -> predicted: count`` list.  The file never trains
anything, so it stays a fair model-selection signal next to ``--cv``.  With
``--errors`` the misread holdout utterances are listed too.

``--calibrate`` also prints the retrieval-confidence statistics of the dev
questions that the grounding threshold in assistant/dialogue/grounding.py was
calibrated on.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.content.loader import Corpus, load_corpus
from assistant.dialogue.state import DialogueState
from assistant.dialogue.training import (
    LABELLED_DIR,
    Labelled,
    Turn,
    canon,
    load_labelled,
    slot_pairs,
    training_examples,
)
from assistant.dialogue.types import INTENTS, Caller, CustomerProfile, Intent, Slots

log = logging.getLogger(__name__)

# A profile label may name a money figure by its slot name (README: ``amount``);
# the profile keeps it as the order size.
_PROFILE_FIELD = {"amount": "order_amount"}


# -- scoring ----------------------------------------------------------------------


@dataclass
class Score:
    n: int = 0
    correct: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    confusion: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[dict[str, Any]] = field(default_factory=list)
    profile_n: int = 0
    profile_ok: int = 0
    profile_errors: list[dict[str, Any]] = field(default_factory=list)
    # Each fact of each profile label on its own: a name missed in the first turn fails every later
    # check of ``profile_accuracy``, while these say which facts hold.
    fact_n: Counter[str] = field(default_factory=Counter)
    fact_ok: Counter[str] = field(default_factory=Counter)

    def check_profile(self, turn: Turn, have: dict[str, str]) -> None:
        """Score the profile the engine holds after ``turn`` (canonical strings) against its label."""
        assert turn.profile is not None
        wrong = {
            k: {"want": v, "have": have.get(_PROFILE_FIELD.get(k, k))}
            for k, v in turn.profile.items()
            if have.get(_PROFILE_FIELD.get(k, k)) != v
        }
        self.profile_n += 1
        self.profile_ok += not wrong
        for k in turn.profile:
            self.fact_n[k] += 1
            self.fact_ok[k] += k not in wrong
        if wrong:
            self.profile_errors.append({"id": turn.item_id, "text": turn.text, "wrong": wrong})

    def add(self, turn: Turn, intent: str, slots: Slots | dict[str, object]) -> None:
        values = slots.values if isinstance(slots, Slots) else slots
        gold, pred = slot_pairs(dict(turn.slots)), slot_pairs(dict(values))
        self.n += 1
        self.correct += intent == turn.intent
        self.tp += len(gold & pred)
        self.fp += len(pred - gold)
        self.fn += len(gold - pred)
        self.confusion[turn.intent][intent] += 1
        if intent != turn.intent or gold != pred:
            self.errors.append(
                {
                    "id": turn.item_id,
                    "text": turn.text,
                    "gold": turn.intent,
                    "pred": intent,
                    "missing": sorted(gold - pred),
                    "extra": sorted(pred - gold),
                }
            )

    def merge(self, other: Score) -> None:
        self.n += other.n
        self.correct += other.correct
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        for gold, row in other.confusion.items():
            self.confusion[gold].update(row)
        self.errors.extend(other.errors)
        self.profile_errors.extend(other.profile_errors)
        self.profile_n += other.profile_n
        self.profile_ok += other.profile_ok
        self.fact_n.update(other.fact_n)
        self.fact_ok.update(other.fact_ok)

    def result(self) -> dict[str, Any]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per_intent: dict[str, dict[str, float | int]] = {}
        for intent in INTENTS:
            gold_n = sum(self.confusion[intent].values())
            pred_n = sum(row[intent] for row in self.confusion.values())
            hit = self.confusion[intent][intent]
            if not gold_n and not pred_n:
                continue
            prec = hit / pred_n if pred_n else 0.0
            rec = hit / gold_n if gold_n else 0.0
            per_intent[intent] = {
                "n": gold_n,
                "precision": round(prec, 4),
                "recall": round(rec, 4),
                "f1": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0,
            }
        out: dict[str, Any] = {
            "intent_accuracy": round(self.correct / self.n, 4) if self.n else 0.0,
            "slot_f1": round(f1, 4),
            "slot_precision": round(p, 4),
            "slot_recall": round(r, 4),
            "n_turns": self.n,
            "confusion": {g: dict(sorted(row.items())) for g, row in sorted(self.confusion.items())},
            "per_intent": per_intent,
        }
        if self.profile_n:
            out["profile_accuracy"] = round(self.profile_ok / self.profile_n, 4)
            out["n_profile_checks"] = self.profile_n
            out["profile_fact_accuracy"] = round(sum(self.fact_ok.values()) / sum(self.fact_n.values()), 4)
            out["profile_fact_accuracy_by_field"] = {
                k: {"n": n, "accuracy": round(self.fact_ok[k] / n, 4)} for k, n in sorted(self.fact_n.items())
            }
        return out


# -- running ----------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--data", type=Path, default=LABELLED_DIR, help="labelled directory")
    parser.add_argument("--corpus", type=Path, help="corpus directory (default: settings.corpus_dir)")
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="also K-fold cross-validate on dev")
    parser.add_argument("--errors", action="store_true", help="list the misclassified turns (dev only)")
    parser.add_argument(
        "--holdout",
        type=Path,
        metavar="PATH",
        help="also score intents on a {text, intent} utterance file that never trains (e.g. eval/data/holdout)",
    )
    parser.add_argument("--calibrate", action="store_true", help="print grounding-score statistics on dev")
    parser.add_argument("--embedder", default="hash", help="embedder for the engine's index (default: hash)")
    parser.add_argument(
        "--nlu-encoder", default=None, help="sentence embedder the NLU mixes in (default: settings.nlu_encoder)"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.settings import Settings

    settings = Settings()
    corpus = load_corpus(args.corpus or settings.corpus_dir)
    labelled = load_labelled(args.data)
    dev = labelled.split("dev")
    evaluated = labelled.split(args.split)
    encoder = _encoder(args.nlu_encoder if args.nlu_encoder is not None else settings.nlu_encoder)
    nlu = _nlu(corpus, dev.training_pairs(), encoder)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="eval-chat-") as tmp:
        engine = _engine(corpus, nlu, settings=settings, embedder=args.embedder, index_dir=Path(tmp) / "index")
        score = evaluate(evaluated, nlu=nlu, engine=engine)
        result = score.result()
        result["split"] = args.split
        result["n_questions"] = len(evaluated.questions)
        result["n_conversations"] = len(evaluated.conversations)
        result["n_training_examples_from_dev"] = len(dev.training_pairs())
        if args.cv and args.split == "dev":
            retriever = engine.retriever if engine is not None else None
            result["cv"] = cross_validate(
                corpus,
                dev,
                k=args.cv,
                errors=args.errors,
                encoder=encoder,
                engine_for=(lambda n: _engine_with(corpus, n, retriever)) if retriever is not None else None,
            )
        if args.holdout is not None:
            result["holdout"] = score_holdout(nlu, args.holdout, errors=args.errors)
        if args.calibrate:
            from assistant.dialogue.grounding import calibration_report

            result["calibration"] = calibration_report(engine=engine, questions=dev.questions)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    if args.errors and args.split == "dev":
        result["errors"] = score.errors
        result["profile_errors"] = score.profile_errors
    return result


def evaluate(labelled: Labelled, *, nlu: Any, engine: Any) -> Score:
    score = Score()
    for item in labelled.questions:
        turn = item.turns[0]
        u = nlu.understand(turn.text, profile=CustomerProfile())
        score.add(turn, u.intent, u.slots)
    caller = Caller(user_id="eval", partner_id="eval")
    for item in labelled.conversations:
        profile = CustomerProfile()
        state = DialogueState()
        history: list[str] = []
        for turn in item.turns:
            u = nlu.understand(turn.text, profile=profile)
            score.add(turn, u.intent, u.slots)
            if engine is not None:
                reply = engine.handle(
                    text=turn.text, profile=profile, caller=caller, history=tuple(history), state=state
                )
                profile, state = reply.profile, reply.state or state
            history.append(turn.text)
            if turn.profile is not None:
                score.check_profile(turn, {k: canon(v) for k, v in profile.known().items()})
    return score


def score_holdout(nlu: Any, path: Path, *, errors: bool = False) -> dict[str, Any]:
    """Intent accuracy of ``nlu`` on a ``{text, intent}`` utterance file (each text a first
    turn, empty profile); ``path`` may be a file or a directory of ``*.yaml`` files."""
    from assistant.dialogue.seeds import load_utterances

    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    score = Score()
    for file in files:
        for n, u in enumerate(load_utterances(file), start=1):
            turn = Turn(item_id=f"{file.stem}#{n}", text=u.text, intent=u.intent, slots={})
            score.add(turn, nlu.understand(u.text, profile=CustomerProfile()).intent, {})
    res = score.result()
    confusions = Counter(
        {
            f"{gold} -> {pred}": count
            for gold, row in score.confusion.items()
            for pred, count in row.items()
            if gold != pred
        }
    )
    out: dict[str, Any] = {
        "path": str(path),
        "intent_accuracy": res["intent_accuracy"],
        "n": res["n_turns"],
        "confusions": [f"{pair}: {count}" for pair, count in confusions.most_common()],
        "per_intent": res["per_intent"],
    }
    if errors:
        out["errors"] = [
            {"text": e["text"], "gold": e["gold"], "pred": e["pred"]} for e in score.errors if e["gold"] != e["pred"]
        ]
    return out


def cross_validate(
    corpus: Corpus,
    dev: Labelled,
    *,
    k: int,
    errors: bool = False,
    engine_for: Callable[[Any], Any] | None = None,
    encoder: Any = None,
) -> dict[str, Any]:
    """K-fold on dev items (folds by item id, so a conversation stays in one fold).

    Each fold's NLU trains on the seeds plus the other folds; with ``engine_for``
    (an NLU -> engine factory) the held-out conversations also run through the
    engine, so ``profile_accuracy`` is cross-validated too."""
    items = sorted((*dev.questions, *dev.conversations), key=lambda i: hashlib.sha256(i.item_id.encode()).hexdigest())
    total = Score()
    for fold in range(k):
        train = [i for n, i in enumerate(items) if n % k != fold]
        held = [i for n, i in enumerate(items) if n % k == fold]
        nlu = _nlu(corpus, [ex for i in train for ex in training_examples(i)], encoder)
        engine = engine_for(nlu) if engine_for is not None else None
        held_set = Labelled([i for i in held if not i.conversation], [i for i in held if i.conversation])
        total.merge(evaluate(held_set, nlu=nlu, engine=engine))
    res = total.result()
    keys = (
        "intent_accuracy",
        "slot_f1",
        "n_turns",
        "profile_accuracy",
        "n_profile_checks",
        "profile_fact_accuracy",
        "per_intent",
    )
    out = {key: res[key] for key in keys if key in res} | {"folds": k}
    if errors:
        out["errors"] = total.errors
        out["profile_errors"] = total.profile_errors
    return out


def _nlu(corpus: Corpus, examples: Sequence[tuple[str, Intent, CustomerProfile]], encoder: Any = None) -> Any:
    from assistant.dialogue.nlu import Nlu

    return Nlu(corpus=corpus, examples=examples, encoder=encoder)


def _encoder(name: str) -> Any:
    if not name:
        return None
    from assistant.retrieval.embedders import make_embedder

    encoder = make_embedder(name)
    encoder.warm_up()
    return encoder


def _engine_with(corpus: Corpus, nlu: Any, retriever: Any) -> Any:
    from assistant.dialogue.engine import DialogueEngine

    return DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu)


def _engine(corpus: Corpus, nlu: Any, *, settings: Any, embedder: str, index_dir: Path) -> Any:
    try:
        from assistant.dialogue.engine import DialogueEngine
    except ImportError:  # pragma: no cover - during development
        return None
    from assistant.retrieval.embedders import make_embedder
    from assistant.retrieval.retriever import HybridRetriever
    from indexer.build import build_from_corpus

    emb = make_embedder(embedder)
    settings = settings.model_copy(update={"index_dir": index_dir, "embedder": embedder})
    build_from_corpus(corpus.root, out=index_dir, settings=settings, embedder=emb, progress=False)
    retriever = HybridRetriever(index_dir, settings=settings, embedder=emb)
    retriever.load()
    return DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu)
