"""The retrieval unit (:class:`Document`) and the chunker that turns a corpus into documents.

Chunk ids are ``<corpus id>#<section>`` and stay stable when content changes, so
labels in the evaluation set (which name corpus ids) survive re-indexing; the
``content_hash`` tells the indexer which chunks changed and must be re-embedded.

Chunking keeps the units a salesperson asks about intact: a product's whole
parameter table is one chunk, an FAQ's question with its answer is one chunk,
each fault with its fix is one chunk.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from assistant.content.loader import Corpus
from assistant.content.schema import CaseStudy, FaqEntry, Product, SalesScript, TrainingLesson

Kind = Literal["product", "script", "case", "faq", "lesson"]
KINDS: tuple[Kind, ...] = ("product", "script", "case", "faq", "lesson")

# Metadata keys the retriever can filter on.
FILTER_KEYS: frozenset[str] = frozenset(
    {"kind", "product_line", "industry", "scale", "persona", "stage", "product", "category", "section"}
)


@dataclass(frozen=True, slots=True)
class Document:
    """One retrievable chunk.

    ``title`` is the high-weight field (an FAQ's question, a product's name and
    section); ``alt_titles`` are extra phrasings indexed like the title (FAQ
    variants); ``text`` is the body.
    """

    id: str
    doc_id: str
    kind: str
    title: str
    text: str
    alt_titles: tuple[str, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        payload = json.dumps(
            [self.kind, self.title, self.text, list(self.alt_titles), sorted(self.metadata.items())],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    def title_field(self) -> str:
        return " ".join((self.title, *self.alt_titles))

    @property
    def label(self) -> str:
        """The title people read in a citation: the indexed title, unless it carries search keys
        (a parameter table's title lists its rows' names, which people ask for; a citation
        says "EG-2100 标准工业网关 技术参数")."""
        return self.metadata.get("label") or self.title

    def snippet(self, limit: int = 120) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "alt_titles": list(self.alt_titles),
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Document:
        alt = data.get("alt_titles") or []
        meta = data.get("metadata") or {}
        assert isinstance(alt, list) and isinstance(meta, dict)
        return cls(
            id=str(data["id"]),
            doc_id=str(data["doc_id"]),
            kind=str(data["kind"]),
            title=str(data["title"]),
            text=str(data["text"]),
            alt_titles=tuple(str(a) for a in alt),
            metadata={str(k): str(v) for k, v in meta.items()},
        )


def chunk_corpus(corpus: Corpus) -> list[Document]:
    """All documents of a corpus, in a stable order."""
    docs: list[Document] = []
    for product in corpus.products:
        docs.extend(_product_chunks(product, corpus))
    docs.extend(_script_chunk(s, corpus) for s in corpus.scripts)
    docs.extend(_case_chunk(c, corpus) for c in corpus.cases)
    docs.extend(_faq_chunk(f) for f in corpus.faqs)
    docs.extend(_lesson_chunk(lesson) for lesson in corpus.lessons)
    return docs


def _product_chunks(p: Product, corpus: Corpus) -> Iterator[Document]:
    line = corpus.line_name(p.line)
    base = {"kind": "product", "product_line": p.line, "product": p.id}
    name = f"{p.id} {p.name}"
    accessories = "、".join(p.accessories) or "无"
    overview = (
        f"{p.id} {p.name}（{p.name_en}），属于{line}产品线。{p.summary} "
        f"应用场景：{'；'.join(p.scenarios)}。"
        f"目录价 ¥{p.price.list_price:,}/{p.price.unit}（{_BAND[p.price.band]}）。"
        f"质保 {p.warranty_months} 个月。"
        + (f"当前固件 {p.firmware}。" if p.firmware else "")
        + f"兼容配件：{accessories}。"
        + (f"标签：{'、'.join(p.tags)}。" if p.tags else "")
    )
    yield Document(
        f"{p.id}#overview", p.id, "product", f"{name} 产品介绍", overview, (), {**base, "section": "overview"}
    )
    rows = "；".join(
        f"{param.name}：{param.display()}" + (f"（{param.note}）" if param.note else "") for param in p.params
    )
    keys = " ".join(param.name for param in p.params)  # the table's keys are what people ask for
    yield Document(
        f"{p.id}#params",
        p.id,
        "product",
        f"{name} 技术参数 规格：{keys}",
        f"{p.id} 参数表：{rows}。",
        (),
        {**base, "section": "params", "label": f"{name} 技术参数"},
    )
    comps = []
    for c in p.competitors:
        comps.append(
            f"对比{c.competitor} {c.competitor_model}：我方优势：{'；'.join(c.our_advantages)}"
            + (f"；对方优势：{'；'.join(c.their_advantages)}" if c.their_advantages else "")
            + (f"；价格：{c.price_note}" if c.price_note else "")
            + "。"
        )
    competitor_names = " ".join(c.competitor for c in p.competitors)
    yield Document(
        f"{p.id}#competitors",
        p.id,
        "product",
        f"{name} 竞品对比 {competitor_names}",
        " ".join(comps),
        (),
        {**base, "section": "competitors", "label": f"{name} 竞品对比"},
    )
    for i, fault in enumerate(p.faults, start=1):
        yield Document(
            f"{p.id}#fault-{i}",
            p.id,
            "product",
            f"{name} 常见故障：{fault.symptom}",
            f"现象：{fault.symptom}。原因：{fault.cause}。处理方法：{fault.fix}",
            (),
            {**base, "section": "fault"},
        )


_BAND = {"entry": "入门价位", "mid": "中端价位", "high": "高端价位", "project": "项目报价"}
_PERSONA = {
    "tech_decision_maker": "技术决策者",
    "roi_manager": "关注投资回报的管理者",
    "procurement": "采购",
    "operator": "一线操作人员",
    "it_security": "IT安全审核",
}
_STAGE = {"opening": "开场", "discovery": "需求挖掘", "objection": "异议处理", "closing": "促成成交"}
_SCALE = {"small": "小型", "medium": "中型", "large": "大型"}


def _script_chunk(s: SalesScript, corpus: Corpus) -> Document:
    line = corpus.line_name(s.product_line)
    text = s.template + (" 要点：" + "；".join(s.tips) if s.tips else "")
    title = f"{s.title}（{line}·{_PERSONA[s.persona]}·{_STAGE[s.stage]}话术）"
    meta = {"kind": "script", "product_line": s.product_line, "persona": s.persona.value, "stage": s.stage.value}
    return Document(s.id, s.id, "script", title, text, (), meta)


def case_document(c: CaseStudy, corpus: Corpus) -> Document:
    """The chunk of one case study (as the index holds it)."""
    return _case_chunk(c, corpus)


def _case_chunk(c: CaseStudy, corpus: Corpus) -> Document:
    results = "；".join(f"{r.metric} {r.value:g}{r.unit}" + (f"（{r.note}）" if r.note else "") for r in c.results)
    products = "、".join(f"{pid}（{p.name}）" if (p := corpus.product(pid)) else pid for pid in c.products)
    text = (
        f"{c.customer}（{c.industry}，{_SCALE[c.scale]}企业，{c.region}{c.city}，{c.year}年）。"
        f"痛点：{'；'.join(c.pain_points)}。方案：{c.solution} 使用产品：{products}。成效：{results}。"
    )
    lines = sorted({p.line for pid in c.products if (p := corpus.product(pid)) is not None})
    meta = {
        "kind": "case",
        "industry": c.industry,
        "scale": c.scale.value,
        "region": c.region,
        "product_line": ",".join(lines),
        "product": ",".join(c.products),
    }
    # People ask for "案例" by industry, scale and region: say so in the title field.
    title = f"{c.title}（{c.industry}·{_SCALE[c.scale]}·{c.region} 客户案例）"
    return Document(c.id, c.id, "case", title, text, (), meta)


def _faq_chunk(f: FaqEntry) -> Document:
    meta = {"kind": "faq", "category": f.category.value}
    if f.product_line:
        meta["product_line"] = f.product_line
    if f.products:
        meta["product"] = ",".join(f.products)
    return Document(f.id, f.id, "faq", f.question, f.answer, tuple(f.variants), meta)


def _lesson_chunk(lesson: TrainingLesson) -> Document:
    text = (
        f"{lesson.duration_minutes} 分钟{_MODE[lesson.mode]}课。"
        f"学习目标：{'；'.join(lesson.objectives)}。{lesson.content}"
        + (f" 练习：{'；'.join(lesson.exercises)}" if lesson.exercises else "")
    )
    meta = {"kind": "lesson", "mode": lesson.mode.value}
    if lesson.product_line:
        meta["product_line"] = lesson.product_line
    return Document(lesson.id, lesson.id, "lesson", lesson.title, text, (), meta)


_MODE = {"practice": "实践（70%）", "mentoring": "辅导（20%）", "theory": "理论（10%）"}


def metadata_matches(metadata: Mapping[str, str], filters: Mapping[str, str | list[str]]) -> bool:
    """True when every filter key matches.  Comma-joined metadata values (a case's
    products) match if any part matches; a list filter value matches any of its items."""
    for key, wanted in filters.items():
        have = metadata.get(key)
        if have is None:
            return False
        have_parts = set(have.split(","))
        wanted_set = {wanted} if isinstance(wanted, str) else set(wanted)
        if not have_parts & wanted_set:
            return False
    return True
