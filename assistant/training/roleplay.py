"""Role-play practice (issue 15, item 1): the assistant plays a customer, the salesperson
answers in free text, and each answer is scored by a deterministic, explainable rubric.

Pure domain code: no HTTP, no storage.  The chat and web faces keep a session's scenario and
its scores and call :meth:`Roleplay.score` per answer and :meth:`Roleplay.summarize` at the end.

    roleplay = Roleplay.from_corpus(corpus, max_chars=settings.max_message_chars)
    scenario = roleplay.scenario(ScenarioRequest("EG-3200", industry="化工", persona="tech_decision_maker"))
    score = roleplay.score(scenario, 1, "EG-3200 最多能采 1 万个点……")
    summary = roleplay.summarize(scenario, [score, ...])

How a scenario is built is in :mod:`assistant.training.roleplay_scenario`, how an answer is
read in :mod:`assistant.training.roleplay_text`, how it is scored in
:mod:`assistant.training.roleplay_rubric`; every word they use is in
``corpus/training/roleplay.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant.content.loader import Corpus
from assistant.dialogue.attributes import load_attribute_lexicon
from assistant.dialogue.lexicon import Lexicon
from assistant.settings import Settings
from assistant.training.roleplay_data import DEFAULT_DATA_PATH, RoleplayData, load_roleplay_data
from assistant.training.roleplay_errors import NoSuchTurnError, RoleplayDataError, RoleplayError, ScenarioRequestError
from assistant.training.roleplay_rubric import Rubric
from assistant.training.roleplay_scenario import ScenarioBuilder
from assistant.training.roleplay_text import TextReader
from assistant.training.roleplay_types import (
    Customer,
    CustomerTurn,
    DimensionScore,
    Issue,
    KeyPoint,
    LessonPick,
    MissedPoint,
    PointResult,
    Scenario,
    ScenarioRequest,
    SessionSummary,
    Source,
    TurnScore,
    ValueCheck,
)

__all__ = [
    "Customer",
    "CustomerTurn",
    "DimensionScore",
    "Issue",
    "KeyPoint",
    "LessonPick",
    "MissedPoint",
    "NoSuchTurnError",
    "PointResult",
    "Roleplay",
    "RoleplayDataError",
    "RoleplayError",
    "Scenario",
    "ScenarioRequest",
    "ScenarioRequestError",
    "SessionSummary",
    "Source",
    "TurnScore",
    "ValueCheck",
]

# The chat's message limit when no settings are given (an answer is cut there, as the chat cuts it).
DEFAULT_MAX_CHARS: int = Settings.model_fields["max_message_chars"].default


class Roleplay:
    """Scenarios and the rubric over one corpus.  Build it once with :meth:`from_corpus`."""

    def __init__(self, *, scenarios: ScenarioBuilder, rubric: Rubric) -> None:
        self._scenarios = scenarios
        self._rubric = rubric

    @classmethod
    def from_corpus(
        cls,
        corpus: Corpus,
        *,
        data: RoleplayData | None = None,
        data_path: Path = DEFAULT_DATA_PATH,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> Roleplay:
        """Read the role-play data and build the lexicons and tables (about 0.2 s)."""
        data = data or load_roleplay_data(data_path)
        attributes = load_attribute_lexicon(corpus.root)
        reader = TextReader(corpus=corpus, data=data, lexicon=Lexicon.from_corpus(corpus), attributes=attributes)
        return cls(
            scenarios=ScenarioBuilder(corpus=corpus, data=data, reader=reader),
            rubric=Rubric(corpus=corpus, data=data, reader=reader, attributes=attributes, max_chars=max_chars),
        )

    def scenario(self, request: ScenarioRequest) -> Scenario:
        """The customer for ``request``; the same for the same request and seed.
        Raises :class:`ScenarioRequestError` for what the corpus does not have."""
        return self._scenarios.build(request)

    def score(self, scenario: Scenario, turn_index: int, answer: str) -> TurnScore:
        """Score ``answer`` to turn ``turn_index`` (1-based); never raises on the text."""
        return self._rubric.score(scenario, scenario.turn(turn_index), answer)

    def summarize(self, scenario: Scenario, scores: Sequence[TurnScore]) -> SessionSummary:
        return self._rubric.summarize(scenario, scores)
