"""The chat side of the advice: the dialogue engine's :class:`~assistant.dialogue.skills.AdviceSkill`.

"我该学点什么 / 给我推荐点培训 / 有什么要补的" is answered with the caller's own next steps
(:class:`~assistant.training.advice.AdviceService`), each with its reason; a lesson is cited
(kind ``lesson``: the chat opens it on /learn), a practice comes as a card that opens
/practice with the prefill.  The wording is data (``chat`` in corpus/training/path.yaml).
The caller is the verified one of the turn; nothing here reads another person's data.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.dialogue.skills import SkillResult
from assistant.dialogue.types import Caller, Card, Citation, PracticeCard
from assistant.training.advice import AdviceService


class AdviceChatSkill:
    """Built once per engine; ``service`` builds an advice service over today's data files."""

    def __init__(self, service: Callable[[], AdviceService]) -> None:
        self._service = service

    def advise(self, *, caller: Caller) -> SkillResult:
        service = self._service()
        texts = service.data.chat
        lang = caller.language
        steps = service.advise(caller)
        if not steps:
            return SkillResult(text=texts.none.text(lang), task={"advice": "none"})
        lines = [texts.intro.text(lang)]
        cards: list[Card] = []
        citations: list[Citation] = []
        for n, step in enumerate(steps, 1):
            reason = step.reason_text(lang)
            if step.practice is not None:
                lines.append(texts.practice.text(lang, n=n, product=step.practice.product, reason=reason))
                cards.append(
                    PracticeCard(
                        product_id=step.practice.product,
                        product_name=step.title,
                        persona=step.practice.persona,
                        industry=step.practice.industry,
                        href=step.href,
                    )
                )
            else:
                title = step.title_en if lang == "en" else step.title
                lines.append(texts.lesson.text(lang, n=n, id=step.lesson_id, title=title, reason=reason))
                citations.append(Citation(doc_id=step.lesson_id or "", title=title, snippet=reason, kind="lesson"))
        return SkillResult(
            text="\n".join(lines),
            cards=tuple(cards),
            citations=tuple(citations),
            task={"advice": ",".join(s.lesson_id or s.href for s in steps)[:200]},
        )
