"""Answers from the products' structured facts: values, capabilities, which product fits.

Each asking clause of a :class:`~assistant.dialogue.reading.Reading` about a product is
answered from that product's own table (never another product's row):

* a value: one sentence per asked row, value and unit (and the row's note), citing
  ``<product>#params``; price, warranty and firmware cite ``<product>#overview``;
* a capability ("能接 Modbus 吗"): yes with the row that holds it; a row of that kind
  that does not list it ("资料里没有提到 …，参数表列的是 …"); an opposite role
  ("主站" asked, "从站" listed) is a no;
* an attribute the product has no row for: left to the knowledge answer (an FAQ may
  hold it), and said to be missing when nothing does;
* a product described by a feature ("8串口的网关"): the products that fit, then the values.

Clauses that are not about a table value (how-to, faults, free questions) are returned
unanswered for :mod:`knowledge`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from assistant.content.schema import FaqEntry, Param, Product
from assistant.dialogue.attributes import AttributeLexicon
from assistant.dialogue.catalog import Catalog, RowMatch
from assistant.dialogue.compose import Composer
from assistant.dialogue.lexicon import squash
from assistant.dialogue.numbers import find_numbers
from assistant.dialogue.reading import FITS, Clause, Reading
from assistant.dialogue.texts import label, text
from assistant.dialogue.types import Citation
from assistant.retrieval.tokenizer import normalize

MAX_PRODUCTS_PER_CLAUSE = 4
_COUNT_UNITS = ("台", "套", "个", "路", "点")
_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[~～]\s*(-?\d+(?:\.\d+)?)\s*$")
# Asking whether two products work together.
_YES_NO = re.compile(r"吗|么|[不没]$|能不能|是否|有没有|支不支持|带不带|行不行|可不可以")
_HOW_MUCH = re.compile(r"多久|多少|几[个路台天年小时次种]|多大|多长|多远|多重|多高|多快")
_NEGATIVE_VALUE = re.compile(r"^(?:不支持|无|不具备|否|没有|不可)")
_ANAPHOR = re.compile(r"它|这个|那个|这款|那款|这台|那台|上面那")
_COMPATIBLE = re.compile(r"配|兼容|搭|接得上|能接|能连|能带|能挂|一起用")
# Asking whether a product copes with a quantity: "能带得动吗", "够不够", "扛得住吗".
# A load of so many ports or devices of so many watts each: "12个口全插满25w的", "8路每路15瓦".
_POWER_LOAD = re.compile(
    r"(?P<count>\d+)\s*(?:个|路|台)?\s*(?:口|端口|路|台|个)\D{0,8}?(?P<each>\d+(?:\.\d+)?)\s*(?:w(?![a-z])|瓦)"
)
# Whether a product copes with a load: the fit words, or any yes/no question ("能带700台吗").
_FIT_QUESTION = re.compile(rf"{FITS.pattern}|不够|能不能|能带|能接|能管|行不行|可以吗|吗$")
_MAX_NOTE_CHARS = 40
MAX_DIFF_ROWS = 8  # rows of a two-product comparison (the cards show both tables whole)


@dataclass(slots=True)
class FactsOutcome:
    highlight: dict[str, list[str]] = field(default_factory=dict)  # product id -> rows answered
    # Asked of a product whose table has no such row: (clause, product, what, words a passage
    # that answers it must contain).  The knowledge answer tries them; else "not in the documents".
    unresolved: list[tuple[Clause, str, str, tuple[str, ...]]] = field(default_factory=list)
    needs_product: list[Clause] = field(default_factory=list)  # asked a value of no known product
    compat: str | None = None  # the product a compatibility answer was about ("io16能配700r不": EC-700-R)
    rivals: list[Clause] = field(default_factory=list)  # asked a value of a competitor's product
    fields: set[str] = field(default_factory=set)  # product fields answered (price, warranty, firmware)

    @property
    def products(self) -> list[str]:
        return list(self.highlight)


def pairs_with_context(message: str) -> bool:
    """A compatibility question about the conversation's product ("那mt20能配它吗")."""
    sq = squash(message)
    return bool(_ANAPHOR.search(sq) and _COMPATIBLE.search(sq))


def answer_facts(
    reading: Reading, *, message: str, catalog: Catalog, attributes: AttributeLexicon, out: Composer
) -> FactsOutcome:
    outcome = FactsOutcome()
    lang = out.language
    if reading.select and reading.described:
        fitting = [p for pid in reading.described if (p := catalog.product(pid)) is not None]
        names = text(lang, "list_sep").join(f"{p.id}（{p.name}）" for p in fitting)
        out.say(text(lang, "fitting_products", products=names), params_citation(fitting[0]))
        for p in fitting:
            outcome.highlight.setdefault(p.id, [])
    named = list(dict.fromkeys(pid for c in reading.clauses for pid in c.named))
    if len(named) == 1 and reading.context not in (None, named[0]) and _ANAPHOR.search(message):
        named.append(reading.context)  # "那mt20能配它吗" after EC-300: the pair is (EC-MT20, EC-300)
    if len(named) == 2 and any(_COMPATIBLE.search(c.squashed) for c in reading.clauses):
        pair = tuple(named)
        if _compatible(pair, catalog, out):  # "io16能配700r不": the row that lists what it works with
            outcome.compat = pair[1]
            outcome.highlight.setdefault(pair[0], [])
            return outcome
    for clause in reading.asking:
        if clause.kind not in ("value", "capability"):
            continue
        products = [p for pid in clause.products[:MAX_PRODUCTS_PER_CLAUSE] if (p := catalog.product(pid))]
        if not products:
            if general_capability(clause) or (
                clause.kind == "capability"
                and not clause.mentions
                and clause.terms
                and not any(catalog.any_has(t) for t in clause.terms)
            ):
                # "返利能不能先让给客户", "cashflow压得紧 能不能申请个月结": policy, a knowledge
                # question (the engine asks it), not a capability to ask the model of.
                continue
            (outcome.rivals if clause.rival else outcome.needs_product).append(clause)
            continue
        for product in products:
            if clause.kind == "capability":
                _capability(
                    clause,
                    product,
                    catalog=catalog,
                    attributes=attributes,
                    out=out,
                    outcome=outcome,
                    # "能戴多久 电池": a quantity asked in the message, this clause no yes/no of its own
                    how_much=bool(
                        _HOW_MUCH.search(clause.text) or (_HOW_MUCH.search(message) and not _YES_NO.search(clause.text))
                    ),
                )
            _values(clause, product, message=message, catalog=catalog, out=out, outcome=outcome)
    return outcome


def say_differences(first: Product, second: Product, out: Composer, *, limit: int = MAX_DIFF_ROWS) -> bool:
    """ "2100和2100pro有啥区别": the rows of the two tables that differ (same row, other
    value), then the rows only one has, and the list prices; False when the tables agree."""
    lang = out.language
    theirs = {p.name: p for p in second.params}
    lines: list[str] = []
    if first.price.list_price != second.price.list_price:
        lines.append(
            text(
                lang,
                "diff_price",
                first=first.id,
                second=second.id,
                a=f"{first.price.list_price:,}",
                b=f"{second.price.list_price:,}",
            )
        )
    for param in first.params:
        other = theirs.get(param.name)
        if other is not None and other.display() != param.display():
            lines.append(
                text(
                    lang,
                    "diff_row",
                    name=param.name,
                    first=first.id,
                    a=param.display(),
                    second=second.id,
                    b=other.display(),
                )
            )
    ours = {p.name for p in first.params}
    for product, params, missing in ((second, second.params, first), (first, first.params, second)):
        names = ours if product is second else set(theirs)
        for param in params:
            if param.name not in names:
                lines.append(
                    text(
                        lang, "diff_only", name=param.name, product=product.id, value=param.display(), other=missing.id
                    )
                )
    if not lines:
        return False
    out.say(
        text(lang, "diff_intro", first=first.id, second=second.id) + text(lang, "diff_sep").join(lines[:limit]),
        params_citation(first),
        params_citation(second),
    )
    return True


def general_capability(clause: Clause) -> bool:
    """A "能不能 / 可以" question about no product that names nothing a table holds (no attribute, no
    value word): a question of policy or practice ("最低可以报多少", "返利能不能先让给客户"),
    not a product's capability to ask the model of."""
    return clause.kind == "capability" and not clause.products and not clause.mentions and not clause.terms


def _values(
    clause: Clause, product: Product, *, message: str, catalog: Catalog, out: Composer, outcome: FactsOutcome
) -> None:
    rows = catalog.rows_for(product, clause.squashed, clause.mentions)
    needed = _needed_quantity(clause, message)
    whole = squash(message)
    load = _POWER_LOAD.search(whole) if _FIT_QUESTION.search(whole) else None
    if load is not None and not any(r.param is not None and r.param.unit.lower() == "w" for r in rows):
        # "8个口每个接15w的摄像头 带得动吗": the product's total power budget answers it
        rows = [*rows, *(RowMatch(product, p, None, 0) for p in product.params if _is_power_budget(p))]
    said = set(outcome.highlight.get(product.id, ()))  # rows a capability answer already quoted
    for row in rows:
        measured = _measured(clause, row.param) if row.param is not None else None
        if load is not None and row.param is not None and row.param.unit.lower() == "w":
            if row.name in said:
                continue  # the load was weighed against it for an earlier clause
            # "12个口全插满25w的 总功率够不够": the ports times the watts each, against the row
            # ("25w" is 25 watts here, not 25万).
            count, each = Decimal(load.group("count")), Decimal(load.group("each"))
            if _enough(row.param, count * each) is not None:
                shown = f"{count:f} × {each:f} W = {count * each:f} W"
                _say_enough(row.param, product, count * each, catalog, out, shown=shown)
                outcome.highlight.setdefault(product.id, []).append(row.name)
                continue
        if needed is not None and row.param is not None and _enough(row.param, needed) is not None:
            _say_enough(row.param, product, needed, catalog, out)
        elif measured is not None and row.param is not None:
            _say_measured(row.param, product, measured, out)
        elif (
            clause.kind == "capability"
            and not clause.terms
            and row.param is not None
            and row.name not in said
            and not _NEGATIVE_VALUE.search(str(row.param.value))
        ):
            # "em600能测谐波不": a row named by what was asked, and not a "no", says yes.
            out.say(
                text(out.language, "fact_row_yes", product=product.id) + row_text(product, row.param, out.language),
                params_citation(product),
            )
        elif row.param is None or row.name not in said:
            say_row(row, out, catalog=catalog)
        if row.attribute is not None and row.attribute.field is not None:
            outcome.fields.add(row.attribute.field)
        outcome.highlight.setdefault(product.id, []).append(row.name)
    answered = {r.attribute.key for r in rows if r.attribute is not None} | {r.name for r in rows}
    for m in clause.mentions:
        if m.by_value or m.attribute.key in answered:
            continue
        if all(catalog.row_for_attribute(product, a) is None for a in m.candidates):
            words = m.attribute.words
            outcome.unresolved.append((clause, product.id, m.attribute.label, words))
            answered.add(m.attribute.key)
    if clause.kind == "value" and not rows and not clause.mentions and clause.remainder:
        outcome.unresolved.append((clause, product.id, clause.remainder, (squash(clause.remainder),)))
    if clause.kind == "capability" and not clause.terms and not rows and clause.remainder:
        # "h5能不能下井": no row says; a passage about the product may (no word required).
        outcome.unresolved.append((clause, product.id, clause.remainder, ()))


def _capability(
    clause: Clause,
    product: Product,
    *,
    catalog: Catalog,
    attributes: AttributeLexicon,
    out: Composer,
    outcome: FactsOutcome,
    how_much: bool = False,
) -> None:
    """``how_much``: the message asks a quantity ("能戴多久 电池"): the row is the answer, not
    a "yes, it has a battery"."""
    lang = out.language
    for term in clause.terms:
        kind = next((m.attribute for m in clause.mentions if m.word == term), None)
        param = catalog.has(product, term, prefer=kind)
        shown = _shown_term(term, param)
        if shown == term:
            shown = _as_asked(term, clause)
        if param is not None:
            role = _asked_role(clause.squashed, term, attributes)
            listed = squash(f"{param.value} {param.note}")
            other = attributes.opposite_role(role) if role else None
            if role and other and f"{term}{other}" in listed and f"{term}{role}" not in listed:
                out.say(
                    text(lang, "capability_other_role", product=product.id, term=shown, asked=role, listed=other)
                    + row_text(product, param, lang),
                    params_citation(product),
                )
            else:
                key = "fact_row" if how_much else "capability_yes"
                out.say(
                    text(lang, key, product=product.id, term=shown) + row_text(product, param, lang),
                    params_citation(product),
                )
            outcome.highlight.setdefault(product.id, []).append(param.name)
            continue
        row = catalog.row_for_attribute(product, kind) if kind is not None else None
        if row is not None and row.param is not None:
            out.say(
                text(lang, "capability_not_listed", product=product.id, term=_as_asked(term, clause))
                + row_text(product, row.param, lang),
                params_citation(product),
            )
            out.offer_expert = True
            outcome.highlight.setdefault(product.id, []).append(row.param.name)
        else:
            outcome.unresolved.append((clause, product.id, term, (term,)))


def _asked_role(clause: str, term: str, attributes: AttributeLexicon) -> str | None:
    at = clause.find(term)
    if at < 0:
        return None
    after = clause[at + len(term) : at + len(term) + 6]
    for a, b in attributes.roles:
        for role in (a, b):
            if after.startswith(role) or (role in after[:4]):
                return role
    return None


def typed_form(term: str, text_typed: str) -> str:
    """A squashed term as the user typed it ("opcua" -> "OPC UA")."""
    pattern = r"[\s\-_./·]*".join(re.escape(ch) for ch in term)
    found = re.search(pattern, text_typed, flags=re.IGNORECASE)
    return found.group(0).upper() if found and term.isascii() else (found.group(0) if found else term)


def _as_asked(term: str, clause: Clause) -> str:
    """The term as the user typed it: its own spelling ("OPC UA"), or the words that named it
    ("4到20毫安" for the table's "20ma")."""
    typed = typed_form(term, clause.text)
    if typed != term:
        return typed
    said = next((clause.squashed[m.start : m.end] for m in clause.mentions if m.word == term), "")
    return said or term


def _shown_term(term: str, param: Param | None) -> str:
    """The term as the table writes it ("modbus" -> "Modbus"), else as asked."""
    if param is None:
        return term
    raw = f"{param.value} {param.note}"
    low = raw.lower().replace(" ", "")
    at = low.find(term)
    if at < 0:
        return term
    # Map back through the squashed positions of the raw text.
    kept = [i for i, ch in enumerate(raw) if ch != " "]
    return raw[kept[at] : kept[at + len(term) - 1] + 1]


def _compatible(pair: tuple[str, ...], catalog: Catalog, out: Composer) -> bool:
    first, second = (catalog.product(pid) for pid in pair)
    if first is None or second is None:
        return False
    found = catalog.compatibility(first, second.id)
    if found is None:
        return False
    param, listed = found
    key = "compatible_yes" if listed else "compatible_no"
    out.say(
        text(out.language, key, product=first.id, other=second.id) + row_text(first, param, out.language),
        params_citation(first),
    )
    return True


def _measured(clause: Clause, param: Param) -> tuple[Decimal, Decimal, Decimal] | None:
    """A value measured on site set against a row's range ("供电只有11.5V" and 12~30 V DC):
    (measured, low, high), or None when the clause states no such value."""
    span = _RANGE.match(str(param.value))
    unit = re.match(r"[a-z℃%]+", param.unit.strip().lower())
    if span is None or unit is None:
        return None
    found = re.search(rf"(-?\d+(?:\.\d+)?)\s*{re.escape(unit.group(0))}(?![a-z])", normalize(clause.text))
    if found is None:
        return None
    return Decimal(found.group(1)), Decimal(span.group(1)), Decimal(span.group(2))


def _say_measured(param: Param, product: Product, measured: tuple[Decimal, Decimal, Decimal], out: Composer) -> None:
    value, low, high = measured
    key = "measured_low" if value < low else "measured_high" if value > high else "measured_ok"
    shown = f"{value.normalize():f} {param.unit.split()[0]}"
    out.say(
        text(out.language, key, value=shown, product=product.id) + row_text(product, param, out.language),
        params_citation(product),
    )


def _needed_quantity(clause: Clause, message: str) -> Decimal | None:
    """A quantity the question asks the product to handle ("700台设备 能带得动吗"), in the
    clause or, with a unit, elsewhere in the message ("客户大概700台设备 云眸标准版能带得动吗")."""
    if not _FIT_QUESTION.search(clause.squashed):
        return None
    for n in find_numbers(clause.squashed.replace("|", " ")):
        if n.unit == "" and any(str(n.value) in m.word for m in clause.mentions):
            continue  # "3200能接几个485": the 485 of RS485, part of what is asked, not a quantity
        if n.unit in _COUNT_UNITS or n.unit == "":
            return n.value
    return next((n.value for n in find_numbers(message) if n.unit in _COUNT_UNITS), None)


def _enough(param: Param, needed: Decimal) -> bool | None:
    """Whether a row's maximum covers ``needed``; None when the row is not one number."""
    if "不限" in str(param.value):
        return True
    try:
        value = Decimal(str(param.value).replace(",", ""))
    except InvalidOperation:
        return None
    return value >= needed


def _is_power_budget(param: Param) -> bool:
    """A row of watts that a load shares ("PoE 总功率"), not the product's own consumption."""
    return param.unit.lower() == "w" and "总" in param.name


def _say_enough(
    param: Param, product: Product, needed: Decimal, catalog: Catalog, out: Composer, *, shown: str | None = None
) -> None:
    """``shown``: how the need is said when it was worked out ("12 × 25 W = 300 W")."""
    lang = out.language
    if shown is None:
        shown = f"{needed:,.0f}" if needed == needed.to_integral_value() else str(needed)
    if _enough(param, needed):
        out.say(
            text(lang, "enough_yes", product=product.id, needed=shown) + row_text(product, param, lang),
            params_citation(product),
        )
        return
    out.say(
        text(lang, "enough_no", product=product.id, needed=shown) + row_text(product, param, lang),
        params_citation(product),
    )
    # The products of the same line whose same row covers it ("企业版 不限").
    for other in catalog.products_of_line(product.line):
        row = next((p for p in other.params if p.name == param.name), None)
        if other.id != product.id and row is not None and _enough(row, needed):
            out.say(
                text(lang, "enough_other", product=other.id, name=other.name) + row_text(other, row, lang),
                params_citation(other),
            )


def say_row(row: RowMatch, out: Composer, *, catalog: Catalog) -> None:
    """A row's value, or a product field's (price, warranty, firmware); a warranty also cites the
    line's warranty policy in the FAQ when the catalogue has one."""
    lang = out.language
    p = row.product
    if row.param is not None:
        out.say(text(lang, "fact_row", product=p.id) + row_text(p, row.param, lang), params_citation(p))
        return
    assert row.attribute is not None
    if row.attribute.field == "price":
        sentence = text(
            lang,
            "fact_price",
            product=p.id,
            price=f"{p.price.list_price:,}",
            unit=p.price.unit,
            band=label(lang, "band", p.price.band),
        )
    elif row.attribute.field == "warranty":
        sentence = text(lang, "fact_warranty", product=p.id, months=p.warranty_months)
        policy = catalog.warranty_policy(p)
        if policy is not None:
            out.say(sentence, overview_citation(p), faq_citation(policy))
            return
    else:
        sentence = text(lang, "fact_firmware", product=p.id, firmware=p.firmware)
    out.say(sentence, overview_citation(p))


def row_text(product: Product, param: Param, lang: str) -> str:
    note = param.note if param.note and len(param.note) <= _MAX_NOTE_CHARS else ""
    value = text(lang, "row_value", name=param.name, value=param.display())
    return value + (text(lang, "param_note", note=note) if note else "")


def params_citation(p: Product) -> Citation:
    rows = "；".join(f"{r.name}：{r.display()}" for r in p.params)
    return Citation(doc_id=f"{p.id}#params", title=f"{p.id} {p.name} 技术参数", snippet=rows[:240], kind="product")


def faq_citation(entry: FaqEntry) -> Citation:
    return Citation(doc_id=entry.id, title=entry.question, snippet=entry.answer[:240], kind="faq")


def overview_citation(p: Product) -> Citation:
    return Citation(
        doc_id=f"{p.id}#overview", title=f"{p.id} {p.name} 产品介绍", snippet=p.summary[:240], kind="product"
    )
