"""The rubric: one free-text answer to one customer turn, scored on four dimensions, each
0..1 with the evidence behind it, deterministically; and a session's summary.

* **coverage** (要点覆盖): each key point of the turn is covered when the weighted share of
  its features (character pairs, figures, Latin words of the source's wording; of its
  ``point_features`` heaviest at most) found in the answer reaches ``point_covered`` (half
  credit from ``point_half``); features the customer's own line has count less, so repeating
  the question is no answer, and a point with figures is made only by stating one.  A point
  that is a parameter row with figures is covered by stating the row's value; a competitor
  block's clause about the rival ("…，对方为百兆") is context, the point is made with our side.
* **values** (参数准确): every figure the answer gives next to a parameter word (the table's
  row names and the everyday words of corpus/attributes.yaml and corpus/lexicon.yaml) or,
  for the rows the customer asked about, in their unit, is checked against the table: equal
  to a value of the row is right; inside a range row is allowed, but a range said with other
  ends is wrong ("0到50度" for -40~75 ℃); anything else is wrong and cites the row.  A figure
  after a rival word ("他们", a competitor's name or model) is theirs and not checked; after
  another of our products it is checked against that product.  Protocol and rating words
  ("opc ua", "ip68") that nothing in the corpus gives the product are wrong too, and so is a
  protocol said in the opposite role of the one the corpus gives it ("profinet 主站" for
  "Profinet 从站").
* **objection** (异议处理): the signal groups of the objection kind the answer hits (one per
  group; covering a key point counts as one), against ``objection_groups``; conceding or
  disparaging the competitor caps it.
* **accuracy** (无错误无编造), when the answer states something it can be checked on (a figure
  of a row, a price or discount, a figure the turn's sources state, a model number): 1 less
  ``issue_penalty`` per wrong value, model number of ours the catalogue does not have, price
  below the floor of FAQ-PRC-003, or key point whose negative clause ("不能做 Profinet 主站")
  the answer makes without a negation.

The overall score is the weighted mean of the dimensions that apply to the turn; the verdict
comes from the thresholds.  An answer with an issue never passes (partial from
``issue_partial``, else fail), and one too long for a chat is partial at best.  Empty,
abusive and off-topic answers score 0 with a polite zh-CN feedback; nothing here raises on
any text.  Thresholds were chosen on the dev split of eval/data/roleplay (its README).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from assistant.content.loader import Corpus
from assistant.content.schema import Param, Product, TrainingLesson
from assistant.dialogue.attributes import AttributeLexicon
from assistant.dialogue.lexicon import PARAM_SYNONYMS, AliasTable, find_all, squash
from assistant.dialogue.numbers import chinese_to_int
from assistant.training.roleplay_data import DIMENSIONS, Dimension, RoleplayData, Verdict
from assistant.training.roleplay_text import Features, Figure, Reading, TextReader
from assistant.training.roleplay_types import (
    CustomerTurn,
    DimensionScore,
    Flag,
    Issue,
    LessonPick,
    MissedPoint,
    PointResult,
    Scenario,
    SessionSummary,
    TurnScore,
    ValueCheck,
)

_MEANINGFUL = re.compile(r"[\W_]+")
_DISCOUNT = re.compile(r"(\d+(?:\.\d+)?|[一二三四五六七八九]{1,2})\s*折")
_NUMBER_IN_VALUE = re.compile(r"\d")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PLAIN_FIGURES = re.compile(r"^\s*[±+\-]?\d+(?:\.\d+)?(?:\s*[~～]\s*[±+\-]?\d+(?:\.\d+)?)?\s*$")
_RANGE_GAP = re.compile(r"^\s*(?:~|-|\u2212|\u2013|到|至)\s*$")
_RANGE = re.compile(r"^\s*([±+\-]?\d+(?:\.\d+)?)\s*[~～]\s*([±+\-]?\d+(?:\.\d+)?)\s*$")
_ROW_SEP = "\x1f"
# spoken numerals that carry their own measure word ("网口俩" is 两个), not after a pronoun ("咱俩")
_COUNT_NUMERALS = {"俩": 2, "仨": 3}
_PRONOUN_BEFORE = "我你他她咱们"
# a protocol's role is said within a few characters after it, before the clause or the next Latin word
_ROLE_WINDOW = 8
_ROLE_STOP = re.compile(r"[、,，;；。()（）!！?？a-z0-9]")
_RIVAL = "\x00rival"
_OURS = "\x00ours"
_MAX_POINTS_IN_FEEDBACK = 3
_VERDICT_RANK: dict[Verdict, int] = {"fail": 0, "partial": 1, "pass": 2}


@dataclass(frozen=True, slots=True)
class RowFact:
    """A parameter row with a figure in it (or the product's warranty), ready to check."""

    name: str
    display: str
    numbers: frozenset[Decimal]  # absolute values
    low: Decimal | None  # a range row's ends
    high: Decimal | None
    unit: str  # canonical unit key
    source: str  # citation

    def allows(self, figure: Figure) -> bool:
        """A figure inside a range row is no error, though not the row's value either."""
        return self.low is not None and self.high is not None and self.low <= figure.value <= self.high


@dataclass(frozen=True, slots=True)
class _ProductTable:
    product_id: str
    rows: dict[str, RowFact]
    words: AliasTable  # squashed word -> row names joined by _ROW_SEP
    list_price: int
    price_source: str
    value_rows: dict[str, Param]  # attribute key -> the row of words it means ("支持协议")
    texts: tuple[str, ...]  # what the corpus says of the product (rows, summary, advantages), squashed

    def source_of(self, row: Param) -> str:
        return f"{self.product_id}#params {row.name}={row.display()}"


class Rubric:
    """Scores answers against a scenario's turns.  Built once; ``score`` is pure."""

    def __init__(
        self, *, corpus: Corpus, data: RoleplayData, reader: TextReader, attributes: AttributeLexicon, max_chars: int
    ) -> None:
        self.corpus = corpus
        self.data = data
        self.reader = reader
        self.max_chars = max_chars
        self._attributes = attributes
        warranty = next((a for a in attributes.attributes if a.field == "warranty"), None)
        self._warranty = warranty.label if warranty is not None else ""
        self._tables = {p.id: self._table(p, attributes) for p in corpus.products}
        self._abusive = AliasTable.of({squash(w): w for w in data.abusive})
        self._disparaging = AliasTable.of({squash(w): w for w in data.disparaging})
        self._conceding = AliasTable.of({squash(w): w for w in data.conceding})
        self._own = AliasTable.of({squash(w): "own" for w in data.own_words})
        price = next((a for a in attributes.attributes if a.field == "price"), None)
        words = {squash(w) for w in data.price_floor.context_words} | set(price.words if price else ())
        self._price_words = tuple(sorted(words, key=len, reverse=True))
        self._percent = re.compile(
            "(?:" + "|".join(re.escape(w) for w in data.price_floor.percent_words) + r")[^\d%]{0,4}(\d+(?:\.\d+)?)\s*%"
        )
        self._features: dict[tuple[str, str], tuple[Features, Reading]] = {}
        self._yuan = reader.unit_of("元")
        self._piece = reader.unit_of("个")
        self._count_units = frozenset(reader.unit_of(u) for u in data.count_units)
        self._conversions = frozenset((reader.unit_of(c.from_), reader.unit_of(c.to)) for c in data.unit_conversions)
        self._compatible_units = frozenset(
            frozenset(reader.unit_of(u) for u in pair) for pair in data.compatible_units if len(pair) == 2
        )
        # a source says no with a negative cue of attributes.yaml; an answer negates with any negation
        self._negative_cues = tuple(squash(w) for w in attributes.negative_cues)
        self._negations = tuple(sorted({squash(w) for w in data.negations}, key=len, reverse=True))
        self._not_negations = tuple(sorted((squash(w) for w in data.not_negations), key=len, reverse=True))

    # -- scoring ------------------------------------------------------------------------

    def score(self, scenario: Scenario, turn: CustomerTurn, answer: str) -> TurnScore:
        text = answer if isinstance(answer, str) else ""
        flags: list[Flag] = []
        if len(text) > self.max_chars:
            text = text[: self.max_chars]
            flags.append("cut")
        if len(_MEANINGFUL.sub("", text)) < self.data.thresholds.min_answer_chars:
            return self._special(turn, "empty", flags)
        reading = self._reread(self.reader.read(text))
        if find_all(reading.squashed, self._abusive, breaks=reading.breaks):
            return self._special(turn, "abusive", flags)
        if len(text) > self.data.thresholds.long_answer_chars:
            flags.append("too_long")
        table = self._tables[scenario.product_id]
        echo = self.reader.read(turn.text)

        checks, wrong, mentioned = self._values(turn, reading, table)
        issues = list(wrong)
        issues += [Issue("invented_model", m, m, "") for m in reading.invented]
        issues += self._price_issues(reading, table)
        disparaging = [w for w, _, _ in find_all(reading.squashed, self._disparaging, breaks=reading.breaks)]
        issues += [Issue("disparaging", w, w, "") for w in dict.fromkeys(disparaging)]
        conceding = bool(find_all(reading.squashed, self._conceding, breaks=reading.breaks))
        if conceding:
            flags.append("conceding")

        points = self._points(
            turn=turn,
            reading=reading,
            echo=echo,
            checks=checks,
            mentioned=mentioned,
            numeric_rows=frozenset(table.rows),
        )
        contradicted = self._contradictions(points, reading, turn.text)
        issues += contradicted
        if contradicted:  # a point said the wrong way round is not covered
            wrong_way = {i.detail for i in contradicted}
            points = [
                PointResult(r.point, r.share, 0.0, r.matched) if r.point.ideal in wrong_way else r for r in points
            ]
        signals = self._signals(turn, reading, points)
        best_share = max((p.share for p in points), default=0.0)
        strong = [g for g in signals if g not in self.data.weak_signals]
        if (
            best_share < self.data.thresholds.offtopic_share
            and not mentioned
            and not checks
            and not reading.products
            and not reading.invented
            and not strong
            and not issues
        ):
            return self._special(turn, "offtopic", flags)

        dims = (
            self._coverage(points),
            self._values_dimension(turn, checks, table),
            self._objection(turn, signals, points, conceding=conceding, disparaging=bool(disparaging)),
            self._accuracy(issues, claims=self._claims(turn, reading, checks, table)),
        )
        overall = self._overall(dims)
        verdict = self._verdict(overall)
        if issues:
            verdict = "partial" if overall >= self.data.thresholds.issue_partial else "fail"
        if "too_long" in flags:
            verdict = _at_most(verdict, "partial")
        feedback = self._feedback(
            turn=turn,
            text=text,
            flags=flags,
            issues=issues,
            dims=dims,
            points=points,
            checks=checks,
            table=table,
            verdict=verdict,
        )
        return TurnScore(
            turn_index=turn.index,
            overall=round(overall, 3),
            verdict=verdict,
            dimensions=dims,
            points=tuple(points),
            values=tuple(checks),
            issues=tuple(issues),
            flags=tuple(flags),
            feedback=feedback,
        )

    def _reread(self, reading: Reading) -> Reading:
        """Two readings the reader misses: a comma after a word ends the clause (only between
        digits is it a thousands separator: "10,000", not "4个网口,2000点"), and "俩", "仨"
        are figures with their measure word."""
        norm, read = reading.norm, reading.clauses
        clauses: list[int] = []
        shift = 0
        for i, ch in enumerate(norm):
            if ch == "," and i > 0 and not norm[i - 1].isdigit() and read[i] == read[i - 1]:
                shift += 1
            clauses.append(read[i] + shift)
        extra = [
            Figure(Decimal(n), i, i + 1, self._piece, ch, False, frozenset({Decimal(n)}))
            for i, ch in enumerate(norm)
            if (n := _COUNT_NUMERALS.get(ch)) and not (i > 0 and norm[i - 1] in _PRONOUN_BEFORE)
        ]
        if not shift and not extra:
            return reading
        figures = tuple(sorted((*reading.figures, *extra), key=lambda f: f.start))
        return replace(reading, clauses=tuple(clauses), figures=figures)

    def _special(self, turn: CustomerTurn, flag: Flag, flags: list[Flag]) -> TurnScore:
        """An empty, abusive or off-topic answer: 0 on what applies, with a polite feedback."""
        fb = self.data.feedback
        message = {"empty": fb.empty, "abusive": fb.abusive, "offtopic": fb.offtopic}[flag]
        lines = [message]
        if "cut" in flags:
            lines.insert(0, fb.cut.format(limit=self.max_chars))
        points = tuple(PointResult(p, 0.0, 0.0, ()) for p in turn.points)
        not_applicable: set[Dimension] = {"accuracy"}
        if turn.objection is None:
            not_applicable.add("objection")
        if not any(p.row for p in turn.points):
            not_applicable.add("values")
        dims = tuple(
            DimensionScore(
                key=d,
                label=self.data.dimension(d).label,
                score=None if d in not_applicable else 0.0,
                evidence=(message,),
            )
            for d in DIMENSIONS
        )
        return TurnScore(
            turn_index=turn.index,
            overall=0.0,
            verdict="fail",
            dimensions=dims,
            points=points,
            values=(),
            issues=(),
            flags=(*flags, flag),
            feedback=tuple(lines),
        )

    # -- key points -------------------------------------------------------------------

    def _point_features(self, ideal: str, turn_text: str) -> tuple[Features, Reading]:
        key = (ideal, turn_text)
        found = self._features.get(key)
        if found is None:
            reading = self.reader.read(ideal)
            found = (self.reader.features(reading, echo=self.reader.read(turn_text)), reading)
            self._features[key] = found
        return found

    def _points(
        self,
        *,
        turn: CustomerTurn,
        reading: Reading,
        echo: Reading,
        checks: Sequence[ValueCheck],
        mentioned: frozenset[str],
        numeric_rows: frozenset[str],
    ) -> list[PointResult]:
        t = self.data.thresholds
        out: list[PointResult] = []
        for point in turn.points:
            if point.row and point.row in numeric_rows:
                said = [c for c in checks if c.row == point.row]
                right = any(c.correct for c in said)
                wrong = any(not c.correct for c in said)
                credit = 1.0 if right and not wrong else 0.0
                out.append(PointResult(point, credit, credit, tuple(dict.fromkeys(c.said for c in said))))
                continue
            # a row's point is its value ("OPC UA、MQTT…"), not the row's name the question has
            wording = point.sources[0].value if point.row and point.sources and point.sources[0].value else point.ideal
            if point.sources and point.sources[0].kind == "competitors":
                wording = self._our_side(wording)
            features, ideal = self._point_features(wording, turn.text)
            share, matched_pairs, matched_figures, matched_latin = self._share(features, reading)
            credit = 1.0 if share >= t.point_covered else 0.5 if share >= t.point_half else 0.0
            own_figures = [v for v, w in features.figures.items() if w >= t.figure_weight]
            if own_figures and not matched_figures:
                credit = min(credit, 0.5)  # a point with figures is made by stating one of them
            words = _runs(ideal.canon, matched_pairs) + [str(v) for v in matched_figures] + matched_latin
            out.append(PointResult(point, round(share, 3), credit, tuple(dict.fromkeys(words))))
        return out

    def _our_side(self, wording: str) -> str:
        """A source sentence without its clauses about the rival ("全千兆端口，对方为百兆"):
        those are the context of our advantage, the point is made with our side."""
        reading = self.reader.read(wording)
        rival = {reading.clauses[s] for s, _ in reading.rivals}
        if not rival:
            return wording
        kept = "".join(text for clause, text in _clause_norms(reading).items() if clause not in rival)
        return kept if len(_MEANINGFUL.sub("", kept)) >= self.data.thresholds.min_answer_chars else wording

    def _share(self, features: Features, reading: Reading) -> tuple[float, set[str], list[Decimal], list[str]]:
        """The weighted share of a wording's heaviest features the answer has, and the matches."""
        weights = sorted((*features.pairs.values(), *features.figures.values(), *features.latin.values()), reverse=True)
        total = sum(weights[: self.data.thresholds.point_features])
        matched_pairs = {p for p in features.pairs if p in reading.pairs}
        matched_figures = [v for v in features.figures if any(f.matches([v]) for f in reading.figures)]
        matched_latin = [w for w in features.latin if reading.has_latin(w)]
        got = (
            sum(features.pairs[p] for p in matched_pairs)
            + sum(features.figures[v] for v in matched_figures)
            + sum(features.latin[w] for w in matched_latin)
        )
        share = min(1.0, got / total) if total else 0.0
        return share, matched_pairs, matched_figures, matched_latin

    def _coverage(self, points: Sequence[PointResult]) -> DimensionScore:
        ev = self.data.evidence
        lines: list[str] = []
        for r in points:
            matched = "、".join(r.matched[:6])
            template = ev.point_covered if r.credit >= 1 else ev.point_half if r.credit > 0 else ev.point_missed
            lines.append(template.format(label=r.point.label, matched=matched))
        score = sum(r.credit for r in points) / len(points) if points else None
        return DimensionScore("coverage", self.data.dimension("coverage").label, _round(score), tuple(lines))

    # -- values -----------------------------------------------------------------------

    def _table(self, product: Product, attributes: AttributeLexicon) -> _ProductTable:
        reader = self.reader
        rows: dict[str, RowFact] = {}
        for param in product.params:
            fact = self._row_fact(product, param)
            if fact is not None:
                rows[param.name] = fact
        if self._warranty:
            # the warranty is a product field in months, not a row; cited as the overview states it
            months = reader.read(f"{product.warranty_months} 个月").figures[0]
            rows[self._warranty] = RowFact(
                name=self._warranty,
                display=months.text,
                numbers=frozenset({abs(months.value)}),
                low=None,
                high=None,
                unit=months.unit,
                source=f"{product.id}#overview {self._warranty}={months.text}",
            )
        words: dict[str, set[str]] = {}

        def add(word: str, row: str) -> None:
            if word and row in rows:
                words.setdefault(word, set()).add(row)

        generic = sorted(attributes.generic_row_words, key=len, reverse=True)
        for param in product.params:
            name = squash(param.name)
            add(name, param.name)
            stripped = name
            for g in generic:
                stripped = stripped.replace(g, "")
            if len(stripped) >= 2:
                add(stripped, param.name)
        for attribute in attributes.attributes:
            if attribute.field == "warranty":
                for w in attribute.words:
                    add(w, self._warranty)
                continue
            row = _row_for(product.params, attribute.rows)
            if row is not None:
                for w in attribute.words:
                    add(w, row.name)
        for concept, synonyms in PARAM_SYNONYMS.items():
            for param in product.params:
                if squash(concept) in squash(param.name):
                    for w in synonyms:
                        add(squash(w), param.name)
        value_rows: dict[str, Param] = {}
        for attribute in attributes.attributes:
            row = _row_for(product.params, attribute.rows) if attribute.values else None
            if row is not None and not _PLAIN_FIGURES.match(str(row.value)):
                value_rows[attribute.key] = row
        return _ProductTable(
            product_id=product.id,
            rows=rows,
            words=AliasTable.of({w: _ROW_SEP.join(sorted(names)) for w, names in words.items()}),
            list_price=product.price.list_price,
            price_source=f"{product.id}#overview",
            value_rows=value_rows,
            texts=(
                *(squash(f"{r.value} {r.note}") for r in product.params),
                squash(f"{product.summary} {' '.join(product.tags)} {' '.join(product.scenarios)}"),
                *(squash(a) for c in product.competitors for a in c.our_advantages),
            ),
        )

    def _row_fact(self, product: Product, param: Param) -> RowFact | None:
        """A row whose value is figures ("10000", "-40~75", "100×75×28"); a row in words with a
        figure inside ("REST API，每日 100 万次调用") is matched as words."""
        value = str(param.value)
        if not _NUMBER_IN_VALUE.search(value) or _CJK.search(value):
            return None
        figures = self.reader.read(f"{value} {param.unit}").figures
        if not figures:
            return None
        span = _RANGE.match(value)
        low = high = None
        if span is not None:
            low, high = sorted((Decimal(span.group(1).lstrip("±+")), Decimal(span.group(2).lstrip("±+"))))
        return RowFact(
            name=param.name,
            display=param.display(),
            numbers=frozenset(abs(f.value) for f in figures),
            low=low,
            high=high,
            unit=self.reader.unit_of(param.unit),
            source=f"{product.id}#params {param.name}={param.display()}",
        )

    def _values(
        self, turn: CustomerTurn, reading: Reading, table: _ProductTable
    ) -> tuple[list[ValueCheck], list[Issue], frozenset[str]]:
        """The figures the answer gives for rows, checked; the wrong ones as issues; and the
        rows the answer names at all."""
        t = self.data.thresholds
        mentions = [
            (tuple(rows.split(_ROW_SEP)), *reading.span(s, e))
            for rows, s, e in find_all(reading.squashed, table.words, breaks=reading.breaks)
        ]
        mentioned = frozenset(r for rows, _, _ in mentions for r in rows)
        mentions.sort(key=lambda m: m[1])
        starts = [s for _, s, _ in mentions]
        longest = max((e - s for _, s, e in mentions), default=0)
        expected = [table.rows[p.row] for p in turn.points if p.row and p.row in table.rows]
        # a product named inside a row's name ("AR-LINK 席位") is no reference to that product
        references = [
            (at, who) for at, who in self._references(reading) if not any(s <= at < e for _, s, e in mentions)
        ]
        checks: list[ValueCheck] = []
        issues: list[Issue] = []
        ours = table.product_id
        figures = reading.figures
        ranges = {
            k for k in range(len(figures) - 1) if _RANGE_GAP.match(reading.norm[figures[k].end : figures[k + 1].start])
        }
        skip: set[int] = set()
        for index, figure in enumerate(figures):
            owner = self._owner(figure.start, reading, references, ours)
            if index in skip or owner not in self._tables:
                continue  # a competitor's figure
            # a figure said of another of our products is checked against that product's table
            rows_of = self._tables[owner].rows
            clause = reading.clauses[figure.start] if figure.start < len(reading.clauses) else -1
            near: list[tuple[int, int, tuple[str, ...]]] = []  # (distance, after?, rows)
            # the row words near the figure: starting at most a window (and a word) before it
            first = bisect_left(starts, figure.start - t.value_window - longest)
            last = bisect_right(starts, figure.end + t.value_window)
            for rows, s, e in mentions[first:last]:
                if reading.clauses[s] != clause:
                    continue
                if e <= figure.start:
                    distance, after = figure.start - e, 0
                elif s >= figure.end:
                    distance, after = s - figure.end, 1
                else:
                    continue
                fitting = tuple(r for r in rows if r in rows_of and self._unit_fits(figure.unit, rows_of[r].unit))
                if distance <= t.value_window and fitting:
                    near.append((distance, after, fitting))
            near.sort()
            candidates: list[RowFact] = []
            if near:
                # the nearest word on each side: a figure between two row words ("串口8 4个网口")
                # may be either's
                for side in (0, 1):
                    side_rows = next((rows for _, after, rows in near if after == side), ())
                    candidates += [rows_of[r] for r in side_rows if rows_of[r] not in candidates]
                candidates.sort(key=lambda fact: next(d for d, _, rows in near if fact.name in rows))
            elif figure.unit and owner == ours:
                fitting_expected = [f for f in expected if self._unit_fits(figure.unit, f.unit, strict=True)]
                if len(fitting_expected) == 1:
                    candidates = fitting_expected
            if not candidates:
                continue
            span = next((c for c in candidates if c.low is not None and c.high is not None), None)
            if index in ranges and span is not None and span is candidates[0]:
                # "-40到85度" is one claim about a range row: right when both ends are its ends
                other = figures[index + 1]
                skip.add(index + 1)
                ends = {abs(span.low), abs(span.high)} if span.low is not None and span.high is not None else set()
                said = f"{figure.text}~{other.text}"
                ok = figure.matches(ends) and other.matches(ends)
                checks.append(ValueCheck(span.name, said, span.display, ok, span.source))
                if not ok:
                    issues.append(Issue("wrong_value", said, span.name, span.source))
                continue
            right = next((c for c in candidates if figure.matches(c.numbers)), None)
            if right is not None:
                checks.append(ValueCheck(right.name, figure.text, right.display, True, right.source))
            elif any(c.allows(figure) for c in candidates):
                continue
            else:
                fact = candidates[0]
                checks.append(ValueCheck(fact.name, figure.text, fact.display, False, fact.source))
                issues.append(Issue("wrong_value", figure.text, fact.name, fact.source))
        # an asked row whose value the answer gives without naming the row ("1万个点")
        for fact in expected:
            if any(c.row == fact.name for c in checks):
                continue
            stated = next(
                (
                    f
                    for f in reading.figures
                    if not f.money
                    and f.matches(fact.numbers)
                    and self._unit_fits(f.unit, fact.unit)
                    and self._owner(f.start, reading, references, ours) == ours
                ),
                None,
            )
            if stated is not None:
                checks.append(ValueCheck(fact.name, stated.text, fact.display, True, fact.source))
        for check in self._capabilities(reading, table, references):
            checks.append(check)
            issues.append(Issue("wrong_value", check.said, check.row, check.source))
        return list(dict.fromkeys(checks)), issues, mentioned

    def _capabilities(
        self, reading: Reading, table: _ProductTable, references: Sequence[tuple[int, str]]
    ) -> list[ValueCheck]:
        """Value words of corpus/attributes.yaml ("opc ua", "ip68") the answer gives our product
        that nothing the corpus says of it has (its rows, summary, tags, scenarios, advantages):
        a protocol it does not speak, a rating it does not have, a protocol in a role it does
        not have ("profinet 主站").  Only Latin value words, only for attributes whose row is
        words, not figures; not when said of the competitor or negated ("不支持 profinet")."""
        wrong: list[ValueCheck] = []
        for m in self._attributes.mentions(reading.squashed):
            if not m.by_value or not m.word.isascii():
                continue
            start, end = reading.span(m.start, m.end)
            owner = self._tables.get(self._owner(start, reading, references, table.product_id))
            if owner is None:
                continue  # said of the competitor
            row = owner.value_rows.get(m.attribute.key)
            if row is None:
                continue
            if any(m.word in text for text in owner.texts):
                role_end = self._wrong_role(m.word, _role_window(reading.squashed, m.end), owner)
                if role_end is None:
                    continue
                start, end = reading.span(m.start, m.end + role_end)
            clause_start = start
            while clause_start > 0 and reading.clauses[clause_start - 1] == reading.clauses[start]:
                clause_start -= 1
            if self._negated(squash(reading.norm[clause_start:start])):
                continue
            wrong.append(ValueCheck(row.name, reading.norm[start:end], row.display(), False, owner.source_of(row)))
        return wrong

    def _wrong_role(self, word: str, after: str, table: _ProductTable) -> int | None:
        """Where the role ends in ``after`` (what follows ``word`` in its clause) when the answer
        says a protocol in a role ("profinet 主站") that the corpus gives the product only in
        the opposite one ("Profinet 从站"; "主从站" gives both; roles of attributes.yaml)."""
        role = next((r for pair in self._attributes.roles for r in pair if r in after), None)
        opposite = self._attributes.opposite_role(role) if role else None
        if role is None or opposite is None:
            return None
        given = [_role_window(text, i + len(word)) for text in table.texts for i in _find_each(text, word)]
        if not any(opposite in w for w in given) or any(role in w or role[0] + opposite in w for w in given):
            return None
        return after.index(role) + len(role)

    def _references(self, reading: Reading) -> list[tuple[int, str]]:
        """Whom the answer speaks of, by norm index: the competitor (``_RIVAL``), one of our
        products (its id), or us (``_OURS``: "我们")."""
        refs = [(s, _RIVAL) for s, _ in reading.rivals]
        refs += [(s, pid) for pid, s, _ in reading.products]
        refs += [(reading.pos[s], _OURS) for _, s, _ in find_all(reading.squashed, self._own, breaks=reading.breaks)]
        return sorted(refs)

    def _owner(self, start: int, reading: Reading, references: Sequence[tuple[int, str]], product_id: str) -> str:
        """Whose figure or word at ``start`` is: the last reference before it in its sentence
        (a competitor's, another product's of ours) or else the scenario's product."""
        sentence = reading.sentences[start]
        last = _OURS
        for at, who in references:
            if at >= start:
                break
            if reading.sentences[at] == sentence:
                last = who
        return product_id if last == _OURS else last

    def _unit_fits(self, said: str, row: str, *, strict: bool = False) -> bool:
        if not said or not row:
            return not strict or said == row
        if said == row or frozenset((said, row)) in self._compatible_units:
            return True
        if said in self._count_units and row in self._count_units:
            return True
        # "2M" is megabits, and megabits convert to a row in kbps
        return any(
            (unit, row) in self._conversions
            for unit in (said, *(u for pair in self._compatible_units if said in pair for u in pair))
        )

    def _values_dimension(
        self, turn: CustomerTurn, checks: Sequence[ValueCheck], table: _ProductTable
    ) -> DimensionScore:
        ev = self.data.evidence
        label = self.data.dimension("values").label
        expected = [table.rows[p.row] for p in turn.points if p.row and p.row in table.rows]
        lines: list[str] = []
        for c in checks:
            template = ev.value_ok if c.correct else ev.value_wrong
            lines.append(template.format(row=c.row, said=c.said, expected=c.expected))
        right_rows = {c.row for c in checks if c.correct} - {c.row for c in checks if not c.correct}
        wrong_rows = {c.row for c in checks if not c.correct}
        for fact in expected:
            if fact.name not in right_rows and fact.name not in wrong_rows:
                lines.append(ev.value_missing.format(row=fact.name, expected=fact.display))
        if expected:
            names = {f.name for f in expected}
            score: float | None = len(right_rows & names) / (len(names) + len(wrong_rows - names))
        elif checks:
            score = len(right_rows) / (len(right_rows) + len(wrong_rows))
        else:
            score = None
        return DimensionScore("values", label, _round(score), tuple(lines) or (ev.not_applicable,))

    # -- price ------------------------------------------------------------------------

    def _quotes(self, reading: Reading, table: _ProductTable) -> list[Figure]:
        """The figures the answer quotes as our product's price: in yuan or bare, from the share
        of the list price a quote starts at, in a clause with a price word."""
        quote_from = Decimal(table.list_price) * Decimal(str(self.data.price_floor.min_quote_ratio))
        references = self._references(reading)
        clause_texts: dict[int, str] | None = None
        quotes: list[Figure] = []
        for figure in reading.figures:
            if figure.unit not in ("", self._yuan) or figure.value < quote_from:
                continue
            if self._owner(figure.start, reading, references, table.product_id) != table.product_id:
                continue
            if clause_texts is None:
                clause_texts = _clause_texts(reading)
            if any(w in clause_texts[reading.clauses[figure.start]] for w in self._price_words):
                quotes.append(figure)
        return quotes

    def _price_issues(self, reading: Reading, table: _ProductTable) -> list[Issue]:
        floor = self.data.price_floor
        lowest = Decimal(table.list_price) * Decimal(str(floor.ratio))
        issues = [
            Issue("below_floor", figure.text, f"{table.list_price}", floor.source)
            for figure in self._quotes(reading, table)
            if figure.value < lowest
        ]
        for m in _DISCOUNT.finditer(reading.norm):
            ratio = _discount_ratio(m.group(1))
            if ratio is not None and ratio < floor.ratio:
                issues.append(Issue("below_floor", m.group(0), f"{table.list_price}", floor.source))
        for m in self._percent.finditer(reading.norm):
            ratio = 1 - float(m.group(1)) / 100
            if ratio < floor.ratio:
                issues.append(Issue("below_floor", m.group(0), f"{table.list_price}", floor.source))
        return issues

    def _claims(self, turn: CustomerTurn, reading: Reading, checks: Sequence[ValueCheck], table: _ProductTable) -> bool:
        """The answer states something accuracy can be scored on: a figure checked against a
        row, a price or discount (checked against the floor), a figure the turn's sources state,
        or a model number.  A figure nothing here speaks of ("现货3天发货" where the source
        says 15~20 个工作日) earns no credit for being free of errors."""
        if checks or reading.invented or self._model_numbers(reading):
            return True
        if _DISCOUNT.search(reading.norm) or self._percent.search(reading.norm):
            return True
        stated = {v for p in turn.points for v in self._point_features(p.ideal, turn.text)[0].figures}
        return any(f.money or f.matches(stated) for f in reading.figures) or bool(self._quotes(reading, table))

    @staticmethod
    def _model_numbers(reading: Reading) -> bool:
        """The answer names one of our products by its model number (not by a word of its name)."""
        return any(re.search(r"\d", reading.norm[s:e]) for _, s, e in reading.products)

    def _contradictions(self, points: Sequence[PointResult], reading: Reading, turn_text: str) -> list[Issue]:
        """Points the source says negatively ("不能做 Profinet 主站") whose negative clause the
        answer makes without a single negation: said the wrong way round.  Making only the
        point's other clauses ("编程用免费的 LT Studio" of "…LT Studio，不能用其他品牌的软件")
        says nothing the wrong way round."""
        if self._negated(reading.squashed):
            return []
        issues: list[Issue] = []
        for r in points:
            if r.credit < 1 or r.point.row:
                continue
            features = self._negative_features(r.point.ideal, turn_text)
            if features is None or self._share(features, reading)[0] < self.data.thresholds.point_covered:
                continue
            issues.append(
                Issue("contradicts", r.point.label, r.point.ideal, r.point.citations[0] if r.point.citations else "")
            )
        return issues

    def _negative_features(self, ideal: str, turn_text: str) -> Features | None:
        """The features of a source sentence's clauses that say no (a negative cue of
        attributes.yaml) that its other clauses do not have; None when no clause says no."""
        texts = _clause_norms(self.reader.read(ideal)).values()
        says_no = [any(c in squash(t) for c in self._negative_cues) for t in texts]
        if not any(says_no):
            return None
        features, _ = self._point_features("".join(t for t, no in zip(texts, says_no, strict=True) if no), turn_text)
        other = self.reader.read("".join(t for t, no in zip(texts, says_no, strict=True) if not no))
        return Features(
            pairs={p: w for p, w in features.pairs.items() if p not in other.pairs},
            figures={v: w for v, w in features.figures.items() if not any(f.matches([v]) for f in other.figures)},
            latin={x: w for x, w in features.latin.items() if x not in other.latin_words},
        )

    def _negated(self, squashed: str) -> bool:
        for phrase in self._not_negations:
            squashed = squashed.replace(phrase, "")
        return any(w in squashed for w in self._negations)

    # -- objection --------------------------------------------------------------------

    def _signals(self, turn: CustomerTurn, reading: Reading, points: Sequence[PointResult]) -> dict[str, list[str]]:
        if turn.objection is None:
            return {}
        spec = self.data.objections[turn.objection]
        hits: dict[str, list[str]] = {}
        for group, words in spec.signals.items():
            found = [w for w in words if (sq := squash(w)) and (sq in reading.squashed or sq in reading.canon)]
            if found:
                hits[group] = found
        return hits

    def _objection(
        self,
        turn: CustomerTurn,
        signals: dict[str, list[str]],
        points: Sequence[PointResult],
        *,
        conceding: bool,
        disparaging: bool,
    ) -> DimensionScore:
        ev = self.data.evidence
        label = self.data.dimension("objection").label
        if turn.objection is None:
            return DimensionScore("objection", label, None, (ev.not_applicable,))
        lines = [
            ev.signal.format(group=ev.signal_names.get(g, g), words="、".join(words)) for g, words in signals.items()
        ]
        covered = [r.point.label for r in points if r.credit > 0]
        groups = len(signals) + (1 if covered else 0)
        if covered:
            lines.append(ev.signal_points.format(labels="、".join(covered[:3])))
        score = min(1.0, groups / self.data.thresholds.objection_groups)
        if conceding:
            score = min(score, 0.25)
            lines.append(self.data.feedback.conceding)
        if disparaging:
            score = min(score, 0.25)
            lines.append(self.data.feedback.disparaging)
        return DimensionScore("objection", label, _round(score), tuple(lines) or (ev.no_signal,))

    # -- accuracy ---------------------------------------------------------------------

    def _accuracy(self, issues: Sequence[Issue], *, claims: bool) -> DimensionScore:
        ev = self.data.evidence
        label = self.data.dimension("accuracy").label
        factual = [i for i in issues if i.kind != "disparaging"]
        if not factual and not claims:
            return DimensionScore("accuracy", label, None, (ev.not_applicable,))
        score = max(0.0, 1.0 - self.data.thresholds.issue_penalty * len(factual))
        lines = tuple(ev.issue.format(text=self._issue_text(i)) for i in factual) or (ev.no_issue,)
        return DimensionScore("accuracy", label, _round(score), lines)

    def _issue_text(self, issue: Issue) -> str:
        fb = self.data.feedback
        if issue.kind == "wrong_value":
            fact_display = issue.source.split("=", 1)[1] if "=" in issue.source else ""
            return fb.value_wrong.format(row=issue.detail, said=issue.said, expected=fact_display, source=issue.source)
        if issue.kind == "invented_model":
            return fb.invented.format(model=issue.said)
        if issue.kind == "contradicts":
            return fb.contradicts.format(label=issue.said, ideal=issue.detail, source=issue.source)
        if issue.kind == "below_floor":
            return fb.below_floor.format(
                said=issue.said, floor=f"{self.data.price_floor.ratio:.0%}", source=issue.source
            )
        return fb.disparaging

    # -- overall ----------------------------------------------------------------------

    def _overall(self, dims: Sequence[DimensionScore]) -> float:
        weights = {d.key: d.weight for d in self.data.dimensions}
        applied = [(weights[d.key], d.score) for d in dims if d.score is not None]
        total = sum(w for w, _ in applied)
        return sum(w * s for w, s in applied) / total if total else 0.0

    def _verdict(self, overall: float) -> Verdict:
        t = self.data.thresholds
        return "pass" if overall >= t.pass_ else "partial" if overall >= t.partial else "fail"

    def _feedback(
        self,
        *,
        turn: CustomerTurn,
        text: str,
        flags: Sequence[Flag],
        issues: Sequence[Issue],
        dims: Sequence[DimensionScore],
        points: Sequence[PointResult],
        checks: Sequence[ValueCheck],
        table: _ProductTable,
        verdict: Verdict,
    ) -> tuple[str, ...]:
        fb = self.data.feedback
        lines: list[str] = []
        if "cut" in flags:
            lines.append(fb.cut.format(limit=self.max_chars))
        if "too_long" in flags:
            lines.append(fb.too_long.format(chars=len(text), limit=self.data.thresholds.long_answer_chars))
        lines += [self._issue_text(i) for i in issues]
        if "conceding" in flags:
            lines.append(fb.conceding)
        objection = next(d for d in dims if d.key == "objection")
        if turn.objection is not None and objection.score is not None and objection.score < 1:
            lines.append(fb.objection_weak[turn.objection])
        stated = {c.row for c in checks}
        missed = [r for r in points if r.credit < 1]
        for r in missed:
            fact = table.rows.get(r.point.row) if r.point.row else None
            if fact is not None and fact.name not in stated:
                lines.append(fb.value_missing.format(row=fact.name, expected=fact.display, source=fact.source))
        for r in [r for r in missed if not r.point.row or r.point.row not in table.rows][:_MAX_POINTS_IN_FEEDBACK]:
            lines.append(fb.point_missed.format(ideal=r.point.ideal, citations="、".join(r.point.citations)))
        if verdict == "pass" and not issues and not missed:
            lines.append(fb.good)
        return tuple(dict.fromkeys(lines))

    # -- the session ------------------------------------------------------------------

    def summarize(self, scenario: Scenario, scores: Sequence[TurnScore]) -> SessionSummary:
        """Per dimension the mean over the turns it applies to, the points missed with their
        ideal wording and citations, and the micro-lesson to take next."""
        fb = self.data.feedback
        dims: list[DimensionScore] = []
        for key in DIMENSIONS:
            values = [s.dimension(key).score for s in scores]
            applied = [v for v in values if v is not None]
            mean = sum(applied) / len(applied) if applied else None
            lines = tuple(f"{s.turn_index}: {v:.2f}" for s, v in zip(scores, values, strict=True) if v is not None)
            dims.append(DimensionScore(key, self.data.dimension(key).label, _round(mean), lines))
        scored = [d for d in dims if d.score is not None]
        weakest: Dimension = min(scored, key=lambda d: (d.score, DIMENSIONS.index(d.key))).key if scored else "coverage"
        overall = sum(s.overall for s in scores) / len(scores) if scores else 0.0
        verdict = self._verdict(overall)
        turns = {t.index: t for t in scenario.turns}
        missed: list[MissedPoint] = []
        for s in scores:
            for r in s.points:
                if r.credit < 1 and s.turn_index in turns:
                    p = r.point
                    missed.append(MissedPoint(s.turn_index, p.label, p.ideal, p.citations))
        issues = tuple(i for s in scores for i in s.issues)
        lesson = self._lesson(scenario, weakest)
        text = [
            fb.summary.format(
                turns=len(scores),
                score=f"{overall:.2f}",
                verdict=fb.verdicts[verdict],
                dimension=self.data.dimension(weakest).label,
            )
        ]
        text += [
            fb.summary_missed.format(turn=m.turn_index, ideal=m.ideal, citations="、".join(m.citations)) for m in missed
        ]
        text.append(
            fb.lesson.format(
                title=lesson.title, lesson_id=lesson.lesson_id, minutes=lesson.minutes, reason=lesson.reason
            )
        )
        return SessionSummary(
            scenario_id=scenario.id,
            turns_scored=len(scores),
            overall=round(overall, 3),
            verdict=verdict,
            dimensions=tuple(dims),
            weakest=weakest,
            missed=tuple(missed),
            issues=issues,
            lesson=lesson,
            text=tuple(text),
        )

    def _lesson(self, scenario: Scenario, weakest: Dimension) -> LessonPick:
        """The lesson for the product line and the weakest dimension: the line's own lessons
        first, then general ones; the modes and topic words roleplay.yaml gives the dimension."""
        prefs = self.data.lessons[weakest]

        def rank(lesson: TrainingLesson) -> tuple[float, str]:
            if lesson.product_line and lesson.product_line != scenario.line:
                score = -10.0
            else:
                score = 4.0 if lesson.product_line == scenario.line else 1.0
            if lesson.mode in prefs.modes:
                score += 2.0 + 0.5 * (len(prefs.modes) - prefs.modes.index(lesson.mode))
            about = lesson.title + " ".join(lesson.objectives)
            score += sum(1.0 for w in prefs.words if w in about)
            if scenario.product_id in lesson.title or scenario.product_id in lesson.content:
                score += 2.0
            return -score, lesson.id

        best = min(self.corpus.lessons, key=rank)
        label = self.data.dimension(weakest).label
        fb = self.data.feedback
        reason = (
            fb.lesson_reason.format(dimension=label, line=self.corpus.line_name(best.product_line))
            if best.product_line
            else fb.lesson_reason_general.format(dimension=label)
        )
        return LessonPick(best.id, best.title, best.duration_minutes, reason)


def _row_for(params: Sequence[Param], fragments: Sequence[str]) -> Param | None:
    """The row an attribute means (its most specific fragment first), as the catalogue reads it."""
    for fragment in fragments:
        for param in params:
            if fragment == squash(param.name):
                return param
    for fragment in fragments:
        for param in params:
            if fragment in squash(param.name):
                return param
    return None


def _role_window(squashed: str, end: int) -> str:
    """What follows a word in its clause, where a role ("主站", "服务端") would be said."""
    window = squashed[end : end + _ROLE_WINDOW]
    cut = _ROLE_STOP.search(window)
    return window[: cut.start()] if cut else window


def _find_each(text: str, word: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(word), text)]


def _clause_norms(reading: Reading) -> dict[int, str]:
    """Every clause of a text as normalised (its break included), by clause number."""
    parts: dict[int, list[str]] = {}
    for ch, clause in zip(reading.norm, reading.clauses, strict=True):
        parts.setdefault(clause, []).append(ch)
    return {clause: "".join(chars) for clause, chars in parts.items()}


def _clause_texts(reading: Reading) -> dict[int, str]:
    """Every clause of the answer, squashed, by clause number."""
    return {clause: squash(text) for clause, text in _clause_norms(reading).items()}


def _runs(canon: str, matched: set[str]) -> list[str]:
    """The matched character pairs of ``canon`` joined into the words they form."""
    runs: list[str] = []
    i = 0
    while i < len(canon) - 1:
        if canon[i : i + 2] in matched:
            j = i + 1
            while j < len(canon) - 1 and canon[j : j + 2] in matched:
                j += 1
            runs.append(canon[i : j + 1])
            i = j + 1
        else:
            i += 1
    return list(dict.fromkeys(runs))


def _discount_ratio(raw: str) -> float | None:
    """ "8" -> 0.8, "8.5" -> 0.85, "85" -> 0.85, "九五" -> 0.95."""
    value: float
    if raw[0].isdigit():
        value = float(raw)
    else:
        parsed = chinese_to_int(raw)
        if parsed is None:
            return None
        value = float(parsed)
    if value <= 0:
        return None
    return value / 10 if value < 10 else value / 100 if value < 100 else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _at_most(verdict: Verdict, cap: Verdict) -> Verdict:
    return verdict if _VERDICT_RANK[verdict] <= _VERDICT_RANK[cap] else cap
