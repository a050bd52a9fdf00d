"""Composing a reply: one short sentence per asked point, each followed by its source.

:class:`Composer` collects sentences and the citation each one rests on, numbers the
citations in the order they are first used, and writes the reply text with the marks
("EG-2100 的工作电压是 12~36 V DC。[1]").  The skills decide what to say; this keeps
the numbering and the "one citation per source" rule in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.dialogue.texts import text
from assistant.dialogue.types import Citation

_ENDS = ("。", "！", "？", ".", "!", "?", "；", ";", "：", ":")


@dataclass(slots=True)
class Composer:
    language: str
    sentences: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # what the documents do not say
    offer_expert: bool = False  # something is not in the documents: a remote expert may know

    def say(self, sentence: str, cite: Citation | None = None, *also: Citation) -> None:
        """``sentence`` with the mark of its source (``also``: more sources it rests on, as in
        a comparison of two tables)."""
        sentence = sentence.strip()
        if not sentence:
            return
        if not sentence.endswith(_ENDS):
            sentence += text(self.language, "sentence_end")
        for source in (cite, *also) if cite is not None else also:
            n = next((i for i, c in enumerate(self.citations, 1) if c.doc_id == source.doc_id), 0)
            if not n:
                self.citations.append(source)
                n = len(self.citations)
            sentence += text(self.language, "cite_mark", n=n)
        if sentence not in self.sentences:
            self.sentences.append(sentence)

    def lead(self, sentence: str) -> None:
        """Put ``sentence`` (no citation: a verdict such as "不能。") before everything said."""
        self.sentences.insert(0, sentence)

    def not_in_documents(self, what: str) -> None:
        """Record something asked that no document answers (said once, at the end)."""
        if what not in self.unknown:
            self.unknown.append(what)

    @property
    def answered(self) -> bool:
        return bool(self.sentences)

    def render(self) -> str:
        parts = list(self.sentences)
        if self.unknown:
            sep = text(self.language, "list_sep")
            parts.append(text(self.language, "not_in_documents", what=sep.join(self.unknown)))
        if self.unknown or self.offer_expert:
            parts.append(text(self.language, "expert_offer"))
        return "".join(parts) if self.language == "zh" else " ".join(parts)
