"""The customer the assistant plays in a role-play: built from the corpus, the same every time
for the same request and seed.

* **Who**: a case from the case library (corpus/cases) that used the product, narrowed by the
  industry and scale asked for; its company, industry, region and pain points, with a
  persona (asked for, or picked) and a job title for it from roleplay.yaml.
* **What he asks** (4 to 8 turns): questions about rows of the product's parameter table, and
  objections: a named competitor's strength (the product's competitor block), price (the
  line's price-objection script and the FAQ on low-priced rivals), delivery (the product's
  ordering FAQ, else the general one) and integration (the compatibility FAQ that lists the
  product, and the row that says how it connects).
* **What a good answer says**: each turn carries its key points in the source's own words,
  with citations (``S-EG-002``, ``EG-3200#params 最大采集点数=10000 个``, ``FAQ-ORD-001``).
  From an FAQ answer or a script the most informative sentences are kept (the rarity of
  their character pairs over the corpus, their figures and Latin words, with fixed weights:
  tuning the rubric moves no scenario).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.content.loader import Corpus
from assistant.content.schema import (
    ROI_OUTPUT_FIELDS,
    CaseStudy,
    Competitor,
    FaqCategory,
    Param,
    Persona,
    Product,
    SalesScript,
    Scale,
    Stage,
    template_slots,
)
from assistant.dialogue.lexicon import squash
from assistant.training.roleplay_data import ObjectionKind, RoleplayData
from assistant.training.roleplay_errors import ScenarioRequestError
from assistant.training.roleplay_text import TextReader
from assistant.training.roleplay_types import (
    Customer,
    CustomerTurn,
    KeyPoint,
    Scenario,
    ScenarioRequest,
    Source,
    TurnKind,
)

MIN_TURNS = 4
MAX_TURNS = 8
_DEFAULT_TURNS = (4, 6)
_SENTENCE = re.compile(r"[^。；！？!?;]+[。；！？!?;]?")
_CLAUSE_CUT = re.compile(r"[，：:；;]|,(?!\d{3})")
_PARENTHESES = re.compile(r"（[^）]*）|\([^)]*\)")
_SIMPLE_NUMBER = re.compile(r"^\s*[±+\-]?\d+(?:\.\d+)?(?:\s*[~～]\s*[±+\-]?\d+(?:\.\d+)?)?\s*$")
_MIN_SENTENCE_CHARS = 6
_LABEL_CHARS = 24
_LABEL_MIN_CHARS = 8
# Conversation order of the planned turns (what a customer asks first).
_ORDER = {"question0": 0, "integration": 1, "question1": 2, "competitor0": 3, "competitor1": 4, "question2": 5}
_ORDER |= {"price": 6, "delivery": 7}


@dataclass(frozen=True, slots=True)
class _Plan:
    key: str  # "question0", "competitor1", "price"...
    kind: TurnKind


class ScenarioBuilder:
    """Builds scenarios from one corpus; cheap per call (the corpus is read at construction)."""

    def __init__(self, *, corpus: Corpus, data: RoleplayData, reader: TextReader) -> None:
        self.corpus = corpus
        self.data = data
        self.reader = reader
        self._industries: dict[str, str] = {}
        for term in corpus.vocab.industries:
            for alias in (term.name, *term.synonyms):
                self._industries.setdefault(squash(alias), term.name)
        self._competitor_aliases: dict[str, str] = {}
        for term in corpus.vocab.competitors:
            for alias in (term.name, *term.synonyms):
                self._competitor_aliases.setdefault(squash(alias), term.name)
        self._faqs = {f.id: f for f in corpus.faqs}

    def build(self, request: ScenarioRequest) -> Scenario:
        product = self._product(request.product_id)
        industry = self._industry(request.industry)
        persona = self._persona(request.persona)
        scale = self._scale(request.scale)
        named_rival = self._competitor(product, request.competitor)
        if request.turns is not None and not MIN_TURNS <= request.turns <= MAX_TURNS:
            raise ScenarioRequestError("turns", str(request.turns))
        key = json.dumps(
            [request.seed, product.id, industry, persona, scale, named_rival.competitor if named_rival else None],
            ensure_ascii=False,
        )
        rng = random.Random(f"roleplay|{key}")
        case = self._case(product, industry=industry, scale=scale, rng=rng)
        persona_value = Persona(persona) if persona else rng.choice(sorted(Persona, key=lambda p: p.value))
        spec = self.data.personas[persona_value]
        title = rng.choice(spec.titles)
        n_turns = request.turns if request.turns is not None else rng.randint(*_DEFAULT_TURNS)
        pain = rng.choice(case.pain_points).rstrip("。")
        rows = self._rows(product, rng)
        rivals = list(product.competitors)
        rival = named_rival or rng.choice(rivals)
        others = [c for c in rivals if c is not rival]
        second_rival = rng.choice(others) if others else None
        customer = Customer(
            company=case.customer,
            industry=industry or case.industry,
            scale=case.scale,
            region=case.region,
            city=case.city,
            persona=persona_value,
            title=title,
            pain_points=tuple(case.pain_points),
            case_id=case.id,
        )
        slots = {
            "product": product.id,
            "industry": customer.industry,
            "title": title,
            "pain": pain,
            "list_price": str(product.price.list_price),
            "price_unit": product.price.unit,
        }
        builders = _TurnBuilders(self, product=product, case=case, persona=persona_value, rng=rng, slots=slots)
        plan = self._plan(n_turns, rows=rows, has_integration=builders.integration_sources() is not None)
        plan = sorted(plan, key=lambda p: _ORDER[p.key])
        turns: list[CustomerTurn] = []
        for index, step in enumerate(plan, start=1):
            if step.key.startswith("question"):
                n = int(step.key[-1])
                turns.append(builders.question(index, rows[2 * n : 2 * n + 2], first=n == 0))
            elif step.key == "competitor0":
                turns.append(builders.competitor(index, rival))
            elif step.key == "competitor1" and second_rival is not None:
                turns.append(builders.competitor(index, second_rival))
            elif step.kind == "price":
                turns.append(builders.price(index))
            elif step.kind == "delivery":
                turns.append(builders.delivery(index))
            elif step.kind == "integration":
                turns.append(builders.integration(index))
        intro = _fill(
            self.data.intro,
            {
                "company": case.customer,
                "industry": customer.industry,
                "scale": self.data.scales[case.scale],
                "place": f"{case.region}{case.city}",
                "title": title,
                "product": product.id,
                "pains": "；".join(p.rstrip("。") for p in case.pain_points[:2]),
            },
        )
        scenario_id = hashlib.sha256(f"{key}|{n_turns}".encode()).hexdigest()[:12]
        return Scenario(
            id=scenario_id,
            seed=request.seed,
            product_id=product.id,
            line=product.line,
            customer=customer,
            intro=intro,
            turns=tuple(turns),
        )

    # -- the request --------------------------------------------------------------------

    def _product(self, product_id: str) -> Product:
        product = self.corpus.product(product_id)
        if product is None:
            wanted = squash(product_id)
            product = next((p for p in self.corpus.products if squash(p.id) == wanted), None)
        if product is None:
            raise ScenarioRequestError("product_id", product_id)
        return product

    def _industry(self, industry: str | None) -> str | None:
        if not industry:
            return None
        found = self._industries.get(squash(industry))
        if found is None:
            raise ScenarioRequestError("industry", industry)
        return found

    def _persona(self, persona: str | None) -> str | None:
        if not persona:
            return None
        if persona not in {p.value for p in Persona}:
            raise ScenarioRequestError("persona", persona)
        return persona

    def _scale(self, scale: str | None) -> str | None:
        if not scale:
            return None
        if scale not in {s.value for s in Scale}:
            raise ScenarioRequestError("scale", scale)
        return scale

    def _competitor(self, product: Product, competitor: str | None) -> Competitor | None:
        if not competitor:
            return None
        wanted = squash(competitor)
        name = self._competitor_aliases.get(wanted, "")
        for c in product.competitors:
            if wanted in (squash(c.competitor), squash(c.competitor_model)) or name == c.competitor:
                return c
        raise ScenarioRequestError("competitor", competitor)

    # -- picking from the corpus -----------------------------------------------------------

    def _case(self, product: Product, *, industry: str | None, scale: str | None, rng: random.Random) -> CaseStudy:
        """A case that used the product, of the industry and scale asked for when there is
        one; failing that the nearest: same line, same industry, any case."""
        line_products = {p.id for p in self.corpus.products if p.line == product.line}
        cases = self.corpus.cases

        def has(c: CaseStudy) -> bool:
            return product.id in c.products

        def of_line(c: CaseStudy) -> bool:
            return bool(line_products & set(c.products))

        def of_industry(c: CaseStudy) -> bool:
            return industry is None or c.industry == industry

        def of_scale(c: CaseStudy) -> bool:
            return scale is None or c.scale == scale

        tiers = (
            [c for c in cases if has(c) and of_industry(c) and of_scale(c)],
            [c for c in cases if has(c) and of_industry(c)],
            [c for c in cases if of_line(c) and of_industry(c) and of_scale(c)],
            [c for c in cases if of_line(c) and of_industry(c)],
            [c for c in cases if of_industry(c)],
            [c for c in cases if has(c) and of_scale(c)],
            [c for c in cases if has(c)],
            list(cases),
        )
        pool = next(t for t in tiers if t)
        return rng.choice(sorted(pool, key=lambda c: c.id))

    def _rows(self, product: Product, rng: random.Random) -> list[Param]:
        """Rows to ask about: plain figures first ("10000 个", "-40~75 ℃"), in seeded order."""
        simple = [r for r in product.params if _SIMPLE_NUMBER.match(str(r.value)) and r.unit.strip()]
        rest = [r for r in product.params if r not in simple]
        rng.shuffle(simple)
        rng.shuffle(rest)
        return simple + rest

    def _plan(self, n_turns: int, *, rows: Sequence[Param], has_integration: bool) -> list[_Plan]:
        wanted = [
            _Plan("question0", "question"),
            _Plan("competitor0", "competitor"),
            _Plan("price", "price"),
            _Plan("delivery", "delivery"),
            _Plan("integration", "integration"),
            _Plan("question1", "question"),
            _Plan("competitor1", "competitor"),
            _Plan("question2", "question"),
        ]
        usable = [
            p
            for p in wanted
            if (p.kind != "integration" or has_integration)
            and (not p.key.startswith("question") or len(rows) >= 2 * int(p.key[-1]) + 2)
        ]
        return usable[:n_turns]

    # -- sentences --------------------------------------------------------------------------

    def key_sentences(self, text: str, count: int) -> list[str]:
        """The ``count`` most informative sentences of ``text``, in their order."""
        sentences = [s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) >= _MIN_SENTENCE_CHARS]
        weighted = [(self.reader.weight_of(s), i) for i, s in enumerate(sentences)]
        keep = sorted(i for _, i in sorted(weighted, key=lambda w: (-w[0], w[1]))[:count])
        return [sentences[i] for i in keep]

    def label(self, sentence: str) -> str:
        """A short name for a sentence: its first clause that says something (else its most
        informative one), without asides in brackets."""
        clauses = [c.strip() for c in _CLAUSE_CUT.split(_PARENTHESES.sub("", sentence).rstrip("。；")) if c.strip()]
        if not clauses:
            return sentence[:_LABEL_CHARS]
        long_enough = [c for c in clauses if len(c.replace(" ", "")) >= _LABEL_MIN_CHARS]
        head = long_enough[0] if long_enough else max(clauses, key=self.reader.weight_of)
        return head if len(head) <= _LABEL_CHARS else head[: _LABEL_CHARS - 1] + "…"

    def faq_text(self, faq_id: str) -> str:
        faq = self._faqs.get(faq_id)
        return faq.answer if faq is not None else ""


class _TurnBuilders:
    """The turns of one scenario (shares its product, case, persona and seeded generator)."""

    def __init__(
        self,
        builder: ScenarioBuilder,
        *,
        product: Product,
        case: CaseStudy,
        persona: Persona,
        rng: random.Random,
        slots: Mapping[str, str],
    ) -> None:
        self.b = builder
        self.data = builder.data
        self.product = product
        self.case = case
        self.persona = persona
        self.rng = rng
        self.slots = dict(slots)

    def _say(self, templates: Sequence[str], **extra: str) -> str:
        return _fill(self.rng.choice(list(templates)), {**self.slots, **extra})

    def _turn(
        self,
        index: int,
        kind: TurnKind,
        text: str,
        points: list[KeyPoint],
        *,
        objection: ObjectionKind | None = None,
        competitor: str = "",
    ) -> CustomerTurn:
        opening = _fill(self.data.objections[objection].ideal_opening, self.slots) if objection else ""
        ideal = opening + "".join(_sentence(p.ideal) for p in points)
        return CustomerTurn(
            index=index,
            kind=kind,
            objection=objection,
            text=text,
            points=tuple(points),
            ideal=ideal,
            competitor=competitor,
        )

    def _row_point(self, index: int, number: int, row: Param) -> KeyPoint:
        pid = self.product.id
        return KeyPoint(
            id=f"t{index}.p{number}",
            label=f"{row.name}：{row.display()}",
            ideal=f"{pid} 的{row.name}是 {row.display()}",
            sources=(Source("params", f"{pid}#params", row.name, row.display()),),
            row=row.name,
        )

    def _text_points(self, index: int, start: int, sentences: Sequence[str], source: Source) -> list[KeyPoint]:
        return [
            KeyPoint(id=f"t{index}.p{start + i}", label=self.b.label(s), ideal=s, sources=(source,))
            for i, s in enumerate(sentences)
        ]

    # -- the kinds --------------------------------------------------------------------------

    def question(self, index: int, rows: Sequence[Param], *, first: bool) -> CustomerTurn:
        templates = self.data.turns.question if first else self.data.turns.question_more
        text = self._say(templates, row_a=rows[0].name, row_b=rows[1].name)
        points = [self._row_point(index, i + 1, row) for i, row in enumerate(rows)]
        return self._turn(index, "question", text, points)

    def competitor(self, index: int, rival: Competitor) -> CustomerTurn:
        strength = self.rng.choice(rival.their_advantages) if rival.their_advantages else rival.competitor_model
        text = self._say(
            self.data.turns.competitor,
            competitor=rival.competitor,
            competitor_model=rival.competitor_model,
            their_advantage=strength.rstrip("。"),
        )
        source = Source("competitors", f"{self.product.id}#competitors", rival.competitor)
        points = self._text_points(index, 1, rival.our_advantages, source)
        return self._turn(index, "competitor", text, points, objection="competitor", competitor=rival.competitor)

    def price(self, index: int) -> CustomerTurn:
        spec = self.data.objections["price"]
        cheaper = [c for c in self.product.competitors if self._quoted_below(c)]
        competitor = ""
        if cheaper:
            rival = self.rng.choice(cheaper)
            competitor = rival.competitor
            note = _CLAUSE_CUT.split(rival.price_note, maxsplit=1)[0].strip().rstrip("。")
            text = self._say(self.data.turns.price_rival, price_note=note, competitor=rival.competitor)
        else:
            text = self._say(self.data.turns.price)
        points: list[KeyPoint] = []
        script = self._price_script(spec.script_words)
        if script is not None and self.data.thresholds.script_points:
            sentences = self._script_sentences(script.template, self.data.thresholds.script_points)
            points += self._text_points(index, 1, sentences, Source("script", script.id))
        for faq_id in spec.faq:
            sentences = self.b.key_sentences(self.b.faq_text(faq_id), self.data.thresholds.faq_points)
            points += self._text_points(index, len(points) + 1, sentences, Source("faq", faq_id))
        return self._turn(index, "price", text, points, objection="price", competitor=competitor)

    def delivery(self, index: int) -> CustomerTurn:
        spec = self.data.objections["delivery"]
        own = [
            f
            for f in self.b.corpus.faqs
            if f.category == FaqCategory.ORDERING
            and self.product.id in f.products
            and any(w in f.question for w in spec.faq_words)
        ]
        faq_id = own[0].id if own else spec.faq_default
        sentences = self.b.key_sentences(self.b.faq_text(faq_id), self.data.thresholds.faq_points)
        text = self._say(self.data.turns.delivery)
        return self._turn(
            index, "delivery", text, self._text_points(index, 1, sentences, Source("faq", faq_id)), objection="delivery"
        )

    def integration_sources(self) -> tuple[str | None, Param | None] | None:
        spec = self.data.objections["integration"]
        faqs = sorted(
            (
                f
                for f in self.b.corpus.faqs
                if f.category == FaqCategory.COMPATIBILITY
                and self.product.id in f.products
                and any(w in f.question for w in spec.faq_words)
            ),
            key=lambda f: (len(f.products), f.id),
        )
        row = next((r for w in spec.row_words for r in self.product.params if w in r.name), None)
        if not faqs and row is None:
            return None
        return (faqs[0].id if faqs else None), row

    def integration(self, index: int) -> CustomerTurn:
        found = self.integration_sources()
        faq_id, row = found if found is not None else (None, None)
        points: list[KeyPoint] = []
        if row is not None:
            points.append(self._row_point(index, 1, row))
        if faq_id is not None:
            sentences = self.b.key_sentences(self.b.faq_text(faq_id), self.data.thresholds.faq_points)
            points += self._text_points(index, len(points) + 1, sentences, Source("faq", faq_id))
        text = self._say(self.data.turns.integration)
        return self._turn(index, "integration", text, points, objection="integration")

    # -- helpers ----------------------------------------------------------------------------

    def _quoted_below(self, rival: Competitor) -> bool:
        first = _CLAUSE_CUT.split(rival.price_note, maxsplit=1)[0]
        figures = [f for f in self.b.reader.read(first).figures if f.value >= 100]
        return bool(figures) and figures[0].value < self.product.price.list_price

    def _price_script(self, words: Sequence[str]) -> SalesScript | None:
        scripts = [
            s
            for s in self.b.corpus.scripts
            if s.product_line == self.product.line and s.stage == Stage.OBJECTION and any(w in s.title for w in words)
        ]
        scripts.sort(key=lambda s: (s.persona != self.persona, s.id))
        return scripts[0] if scripts else None

    def _script_sentences(self, template: str, count: int) -> list[str]:
        """The ``count`` most informative sentences of a script, slots filled from the scenario.
        A sentence that needs an ROI figure is left out; one that needs a slot the scenario has
        no value for (a device count) counts half, and reads with roleplay.yaml's default."""
        values = {
            "customer_name": self.case.customer,
            "industry": self.slots["industry"],
            "region": self.case.region,
            "product_model": self.product.id,
            "product_line": self.b.corpus.line_name(self.product.line),
        }
        filled: list[tuple[float, int, str]] = []
        for i, raw in enumerate(_SENTENCE.findall(template)):
            slots = template_slots(raw)
            if any(s in ROI_OUTPUT_FIELDS for s in slots) or len(raw.strip()) < _MIN_SENTENCE_CHARS:
                continue
            text = _fill(raw, {**self.data.slot_defaults, **values}).strip()
            weight = self.b.reader.weight_of(text)
            if any(s not in values for s in slots):
                weight /= 2
            filled.append((weight, i, text))
        keep = sorted(sorted(filled, key=lambda f: (-f[0], f[1]))[:count], key=lambda f: f[1])
        return [text for _, _, text in keep]


class _Slots(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(template: str, values: Mapping[str, str]) -> str:
    return string.Formatter().vformat(template, (), _Slots(values))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(("。", "！", "？", "；")) else text + "。"
