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
cross-validated dev score (each fold trained on the other dev folds).

Slot F1 is micro-averaged over the (slot, value) pairs stated in each turn.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.content.loader import Corpus, load_corpus
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
        return out


# -- running ----------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--data", type=Path, default=LABELLED_DIR, help="labelled directory")
    parser.add_argument("--corpus", type=Path, help="corpus directory (default: settings.corpus_dir)")
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="also K-fold cross-validate on dev")
    parser.add_argument("--errors", action="store_true", help="list the misclassified turns (dev only)")
    parser.add_argument("--calibrate", action="store_true", help="print grounding-score statistics on dev")
    parser.add_argument("--embedder", default="hash", help="embedder for the engine's index (default: hash)")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.settings import Settings

    settings = Settings()
    corpus = load_corpus(args.corpus or settings.corpus_dir)
    labelled = load_labelled(args.data)
    dev = labelled.split("dev")
    evaluated = labelled.split(args.split)
    nlu = _nlu(corpus, dev.training_pairs())
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="eval-chat-") as tmp:
        engine = _engine(corpus, nlu, settings=settings, embedder=args.embedder, index_dir=Path(tmp) / "index")
        score = evaluate(evaluated, nlu=nlu, engine=engine)
        result = score.result()
        result["split"] = args.split
        result["n_questions"] = len(evaluated.questions)
        result["n_conversations"] = len(evaluated.conversations)
        result["n_training_examples_from_dev"] = len(dev.training_pairs())
        if args.calibrate:
            from assistant.dialogue.grounding import calibration_report

            result["calibration"] = calibration_report(engine=engine, questions=dev.questions)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    if args.errors and args.split == "dev":
        result["errors"] = score.errors
    if args.cv and args.split == "dev":
        result["cv"] = cross_validate(corpus, dev, k=args.cv, errors=args.errors)
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
        history: list[str] = []
        for turn in item.turns:
            u = nlu.understand(turn.text, profile=profile)
            score.add(turn, u.intent, u.slots)
            if engine is not None:
                reply = engine.handle(text=turn.text, profile=profile, caller=caller, history=tuple(history))
                profile = reply.profile
            history.append(turn.text)
            if turn.profile is not None:
                have = {k: canon(v) for k, v in profile.known().items()}
                score.profile_n += 1
                score.profile_ok += all(have.get(k) == v for k, v in turn.profile.items())
    return score


def cross_validate(corpus: Corpus, dev: Labelled, *, k: int, errors: bool = False) -> dict[str, Any]:
    """K-fold on dev items (folds by item id, so a conversation stays in one fold); NLU only."""
    items = sorted((*dev.questions, *dev.conversations), key=lambda i: hashlib.sha256(i.item_id.encode()).hexdigest())
    total = Score()
    for fold in range(k):
        train = [i for n, i in enumerate(items) if n % k != fold]
        held = [i for n, i in enumerate(items) if n % k == fold]
        nlu = _nlu(corpus, [ex for i in train for ex in training_examples(i)])
        for item in held:
            profile = CustomerProfile()
            for turn in item.turns:
                u = nlu.understand(turn.text, profile=profile)
                total.add(turn, u.intent, u.slots)
                patch = {("order_amount" if k == "amount" else k): v for k, v in u.slots.values.items()}
                if u.intent != "rebate_query":
                    profile = profile.merged(patch)
    res = total.result()
    out = {key: res[key] for key in ("intent_accuracy", "slot_f1", "n_turns")} | {"folds": k}
    if errors:
        out["errors"] = total.errors
    return out


def _nlu(corpus: Corpus, examples: Sequence[tuple[str, Intent, CustomerProfile]]) -> Any:
    from assistant.dialogue.nlu import Nlu

    return Nlu(corpus=corpus, examples=examples)


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
