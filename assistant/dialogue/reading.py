"""A structured reading of a question about products and knowledge.

"SN-VB500 Pro 电池能用多久？传输多远？质保几年" is three questions about one product.
:func:`read` cuts the message into clauses and reads each one:

* the **products** it is about: named in the clause (model, alias), described by a
  feature when no model is named ("8串口的网关", "带poe的交换机"), carried over from the
  clause before, or the conversation's current product;
* the **attributes** asked (:mod:`attributes`: everyday words for table rows, price,
  warranty and firmware), and **terms** of a capability question ("modbus", "北斗");
* its **kind**: ``value`` (a table value), ``capability`` (does it have X), ``howto``,
  ``fault`` (something is wrong on site) or ``other``;
* the **remainder**: what was asked once products and question words are taken out, so
  an attribute no table has ("mtbf", "抗震等级") can be named in "资料里没有…".

The reading is pure data; :mod:`facts` and :mod:`knowledge` answer it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from assistant.content.schema import Product
from assistant.dialogue.attributes import AttributeLexicon, Mention
from assistant.dialogue.catalog import Catalog
from assistant.dialogue.lexicon import Lexicon, find_all, squash
from assistant.retrieval.tokenizer import Tokenizer

ClauseKind = Literal["value", "capability", "howto", "fault", "other"]

_CLAUSE_BREAK = re.compile(r"[，,。；;！!？?\n]+|(?:还有|另外|以及|顺便问下|顺便问一下|再问下|再问一下)")
# A space between words typed on a phone separates questions ("电池多久 传多远"), but not
# the parts of a model number ("eg 2100", "2100 pro").
_SPACE_BREAK = re.compile(r"(?<=[\u4e00-\u9fff])\s+|\s+(?=[\u4e00-\u9fff])")
_CAPABILITY = re.compile(
    r"能不能|能否|可以|可不可以|支持|支不支持|有没有|带不带|兼容|能接|能用|能连|能带|能跑|能做|能当|能作|能读|能采|能配|能测|能装|带"
)
_VALUE_QUESTION = re.compile(r"多少|几|多大|多远|多久|多重|多长|多高|多快|范围|是什么|啥")
# Asking which product: its capability words are what to select by ("带ethercat的选哪个").
_WHICH = re.compile(
    r"哪款|哪个型号|哪个|哪些|哪几款|哪种|什么型号|啥型号|推荐|有没有.{0,12}的|叫啥|叫什么|是啥来着|型号是啥|选哪|用哪"
)
# Pointing at a product by a feature ("4g那款能做opc ua吗"): what follows the verb is asked.
# ("他那个ct是200/5的": someone's own thing, not one of ours picked by a feature.)
_SELECT = re.compile(rf"{_WHICH.pattern}|那款|(?<![他她它我你们户])那个")
# Whether a product copes with so many devices, no capacity word typed: "600台设备要上云眸 标准版
# 够不够". The fit word stands for the number of devices a product takes (attribute "devices").
_DEVICE_COUNT = re.compile(r"(?:\d+|[一二两三四五六七八九十百千万几]+)\s*(?:多|来|余)?\s*(?:台|个|套)")
# Whether a product copes with something ("够不够", "带得动"); facts.py asks the same, and more.
FITS = re.compile(r"够不够|够用[吗不没]?|够吗|够了吧|够了吗|带得动|带不动|扛得住|撑得住")
# Doing something to a product ("怎么改", "如何配置"): a procedure, not a value.
_CHANGE = re.compile(r"改|设置|配置|调|升级|刷|重置|恢复|切换|开启|关闭|导入|删除|绑定|注册|登记|对接")
_LATIN = re.compile(r"[a-z][a-z0-9.\-/]*[a-z0-9]|[a-z]")
_MASK = "\u25a1"
# What follows a value word that describes a product: "4g那款", "带poe的", "5g版".
_DESCRIBES = re.compile(r"的|那款|这款|那个|这个|款|版|型|" + _MASK)


@dataclass(frozen=True, slots=True)
class Clause:
    text: str
    squashed: str  # with product mentions masked
    kind: ClauseKind
    products: tuple[str, ...]  # what the clause is about (named, described, carried or from context)
    named: tuple[str, ...]  # products named in this clause itself
    mentions: tuple[Mention, ...]
    terms: tuple[str, ...]  # capability terms (value words of a row kind, other Latin words)
    remainder: str  # the asked thing without products and question words ("mtbf")
    asks: bool  # a question (not context such as "客户是宁波做注塑的")
    rival: bool = False  # about a competitor's product ("他们VL-Glass 3的续航"), not ours
    howto: bool = False  # how-to wording with an attribute ("它怎么供电"): the row and the how-to


@dataclass(frozen=True, slots=True)
class Reading:
    clauses: tuple[Clause, ...]
    products: tuple[str, ...]  # every product the question is about, in order
    described: tuple[str, ...]  # products found by a description, not named
    select: bool  # asks which product has a feature ("哪款有8个串口")
    from_context: bool  # the product is the conversation's, not named in this message
    context: str | None = None  # the conversation's product before this message ("它")

    @property
    def asking(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.asks)


def read(
    text: str,
    *,
    products: Sequence[str],
    lines: Sequence[str],
    context_product: str | None,
    lexicon: Lexicon,
    attributes: AttributeLexicon,
    catalog: Catalog,
    tokenizer: Tokenizer,
) -> Reading:
    """Read ``text`` (the NLU's normalised text; ``products``/``lines`` its entities)."""
    pieces = [p for part in _CLAUSE_BREAK.split(text) for p in _SPACE_BREAK.split(part) if p and p.strip()]
    raw: list[tuple[str, str, tuple[str, ...], tuple[Mention, ...]]] = []
    rivals: set[str] = set()
    for piece in pieces:
        sq = squash(piece)
        masked = sq
        for _, s, e in find_all(sq, lexicon.competitors):
            masked = masked[:s] + _MASK * (e - s) + masked[e:]
            rivals.add(piece)
        spans = find_all(masked, lexicon.products)
        ids = tuple(dict.fromkeys(_of_named_line(v, sq[s:e], sq, lexicon, catalog) for v, s, e in spans))
        for _, s, e in spans:
            masked = masked[:s] + _MASK * (e - s) + masked[e:]
        raw.append((piece, masked, ids, tuple(attributes.mentions(masked))))
    raw = _fit_of_a_count(raw, text, attributes)
    # Short pieces with nothing of their own ("eg 2100" then "功耗") join the next one.
    merged: list[tuple[str, str, tuple[str, ...], tuple[Mention, ...]]] = []
    for item in raw:
        # ... and a bare capability question joins the piece before it: "那三菱的MC协议呢 它也能读不"
        # asks whether it reads MC.
        bare_capability = not item[2] and not item[3] and bool(_CAPABILITY.search(item[1]))
        if merged and bare_capability and merged[-1][3] and _LATIN.search(merged[-1][1]):
            prev = merged.pop()
            merged.append((f"{prev[0]} {item[0]}", prev[1] + item[1], prev[2], prev[3]))
        elif merged and not merged[-1][3] and not _asks(merged[-1][1], attributes) and not item[2]:
            prev = merged.pop()
            merged.append((f"{prev[0]} {item[0]}", prev[1] + item[1], prev[2], _shift(item[3], len(prev[1]))))
        else:
            merged.append(item)

    described: tuple[str, ...] = ()
    select = False
    selecting = bool(_SELECT.search(text))
    # A product described instead of named: "8串口的网关", "带poe的交换机", "测电流的无线传感器".
    # With a product already in the conversation, only a question that asks which one.
    if not products and (selecting or (lines and not context_product)):
        pool = _candidates(catalog, lines)
        # What follows "能/支持" is asked about; what comes before describes the product.
        sq = squash(text)
        verb = _CAPABILITY.search(sq)
        asked = [
            m.word
            for m in attributes.mentions(sq)
            if m.by_value and verb and m.start >= verb.start() and not _WHICH.search(text)
        ]
        fitting = catalog.by_description(text, candidates=pool, asked=asked)
        if not fitting and selecting:
            fitting = catalog.by_words(text, candidates=pool)
        elif len(fitting) > 1 and (clearly := catalog.by_words(text, candidates=fitting)):
            fitting = clearly  # "能离线语音控制的ar眼镜": of the AR glasses, the one with offline voice
        if fitting:
            described = tuple(p.id for p in fitting[:4])
            select = selecting or len(fitting) > 1
    if not (products or described or lines or context_product) and (head := catalog.by_head(text)) is not None:
        described = (head.id,)  # "防爆那个平板 电池多少毫安": what staff call the one product
    clauses: list[Clause] = []
    # One product named anywhere in the message is what its other clauses are about too
    # ("要测硫化氢 我们那个气体检测仪能测吗").
    everywhere = {pid for _, _, named, _ in merged for pid in named}
    carried: tuple[str, ...] = described or (tuple(everywhere) if len(everywhere) == 1 else ())
    from_context = False
    for piece, masked, named, mentions in merged:
        if named:
            carried = named
        about = carried
        if piece in rivals and not named:
            about = ()  # "他们VL-Glass 3的续航": the competitor's, not the product in context
        elif not about and context_product:
            about = (context_product,)
            from_context = True
        clause = _clause(
            piece, masked, named=named, about=about, mentions=mentions, attributes=attributes, tokenizer=tokenizer
        )
        clauses.append(replace(clause, rival=piece in rivals and not named))
    if any(c.kind == "fault" for c in clauses):
        # "mp平台上告警都触发了 值班的人没收到短信 咋回事": beside a fault, a clause that names a
        # row without a question word of its own says what happened; it asks nothing.
        clauses = [
            replace(c, asks=False) if c.kind in ("value", "capability") and not _asks(c.squashed, attributes) else c
            for c in clauses
        ]
    every = tuple(dict.fromkeys(pid for c in clauses for pid in c.products))
    return Reading(
        clauses=tuple(clauses),
        products=every,
        described=described,
        select=select,
        from_context=from_context,
        context=context_product,
    )


def _fit_of_a_count(
    raw: list[tuple[str, str, tuple[str, ...], tuple[Mention, ...]]], text: str, attributes: AttributeLexicon
) -> list[tuple[str, str, tuple[str, ...], tuple[Mention, ...]]]:
    """With no attribute named, a count of devices and a fit word ("600台设备 … 标准版够不够") ask
    the number of devices the product takes: the fit word is read as that attribute."""
    devices = attributes.by_key("devices")
    if devices is None or any(item[3] for item in raw) or not _DEVICE_COUNT.search(text):
        return raw
    for n, (piece, masked, ids, _) in enumerate(raw):
        fit = FITS.search(masked)
        if fit is not None:
            mention = Mention(devices, fit.start(), fit.end(), fit.group(0), False)
            return [*raw[:n], (piece, masked, ids, (mention,)), *raw[n + 1 :]]
    return raw


def _clause(
    piece: str,
    masked: str,
    *,
    named: tuple[str, ...],
    about: tuple[str, ...],
    mentions: tuple[Mention, ...],
    attributes: AttributeLexicon,
    tokenizer: Tokenizer,
) -> Clause:
    asks = _asks(masked, attributes)
    # Value words after "能/支持" are asked about; before it, followed by a product, they
    # describe it ("4g那款能做opc ua吗"); right before it they are asked too ("0区能用不"), and
    # so are they once the product is named before them ("想用eg1100 …要走opc ua 这个型号支不支持").
    verb = _CAPABILITY.search(masked)
    terms = [
        m.word
        for m in mentions
        if m.by_value
        and (
            verb is None
            or m.end > verb.start()
            or _MASK in masked[: m.start]
            or not _DESCRIBES.search(masked[m.end : verb.start()])
        )
    ]
    remainder = _remainder(masked, mentions, attributes, tokenizer)
    # Latin words left over in a capability question are what is asked for ("tls", "bacnet").
    if _CAPABILITY.search(masked):
        # (a lone letter is a unit left over, the "v" of "24v", not a term)
        terms += [w for w in _LATIN.findall(remainder) if len(w) >= 2 and w not in terms]
    kind: ClauseKind
    if attributes.names_fault(masked):
        kind = "fault"
    elif (
        any(c in masked for c in attributes.howto_cues)
        and not _VALUE_QUESTION.search(masked)
        and not terms
        and (not mentions or _CHANGE.search(masked))
    ):
        kind = "howto"  # "th100波特率怎么改": a procedure, even when it names a row
    elif terms or (_CAPABILITY.search(masked) and not mentions and remainder):
        kind = "capability"
    elif mentions:
        kind = "value"
    else:
        kind = "other"
    if (kind in ("value", "capability") and (mentions or terms)) or kind in ("fault", "howto"):
        asks = True  # "2100功耗", "读数全是0": a question without a question word
    howto = kind == "value" and any(c in masked for c in attributes.howto_cues)
    return Clause(
        howto=howto,
        text=piece,
        squashed=masked,
        kind=kind,
        products=about,
        named=named,
        mentions=mentions,
        terms=tuple(terms),
        remainder=remainder,
        asks=asks,
    )


def _asks(masked: str, attributes: AttributeLexicon) -> bool:
    return any(c in masked for c in attributes.question_cues)


def _remainder(masked: str, mentions: Sequence[Mention], attributes: AttributeLexicon, tokenizer: Tokenizer) -> str:
    """The clause without product mentions, attribute words and question words."""
    text = masked
    for m in mentions:
        text = text[: m.start] + _MASK * (m.end - m.start) + text[m.end :]
    words = [
        w
        for w in tokenizer.tokenize(text.replace(_MASK, " "))
        if w.strip() and squash(w) not in attributes.question_words and not _CAPABILITY.fullmatch(w)
    ]
    return "".join(words)


def _shift(mentions: tuple[Mention, ...], by: int) -> tuple[Mention, ...]:
    return tuple(replace(m, start=m.start + by, end=m.end + by) for m in mentions)


def _of_named_line(pid: str, alias: str, sq: str, lexicon: Lexicon, catalog: Catalog) -> str:
    """A name two products share, read with the line the text names: "标准版" is the
    platform's, but "标准版的ar眼镜" is the glasses' standard edition."""
    own = lexicon.product_line_of.get(pid)
    others = {line for line, _, _ in find_all(sq, lexicon.product_lines) if line != own}
    fitting = [p for line in others for p in catalog.products_of_line(line) if alias in squash(p.name)]
    return fitting[0].id if len(fitting) == 1 else pid


def _candidates(catalog: Catalog, lines: Sequence[str]) -> list[Product]:
    if not lines:
        return list(catalog.corpus.products)
    return [p for line in lines for p in catalog.products_of_line(line)]
