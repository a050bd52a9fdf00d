"""The products as structured facts: which row of a product's table answers an asked
attribute, whether a product has a capability, and which product a description means.

Everything here reads the corpus's product entries (parameter rows, price, warranty,
firmware, names, tags, summaries) and the attribute lexicon; nothing is retrieved, so an
answer can only ever come from the product that was asked about.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.content.loader import Corpus
from assistant.content.schema import FaqCategory, FaqEntry, Param, Product
from assistant.dialogue.attributes import Attribute, AttributeLexicon, Mention
from assistant.dialogue.lexicon import LINE_WORDS, cjk_pairs, squash
from assistant.retrieval.tokenizer import Tokenizer, normalize

# A number and the word right after it in a description ("8串口", "80g雷达", "16口").
_NUMBER_WORD = re.compile(r"(\d+(?:\.\d+)?)\s*(?:个|路|口|寸|英寸)?\s*([a-z]+|[\u4e00-\u9fff]{1,3})?")
# Words naming the kind of thing a product is: a description with one names products of that kind.
_KIND_WORDS = tuple(
    sorted({squash(w) for words in LINE_WORDS.values() for w in words if len(w) >= 2}, key=len, reverse=True)
)
# A description in words names a product when it scores this much, and clearly more than the next.
_MIN_DESCRIPTION_WEIGHT = 8.0
_DESCRIPTION_MARGIN = 1.3
_VARIANT_WORDS = {"专业": "pro", "增强": "pro", "防爆": "ex", "冗余": "-r", "企业": "ent", "标准": "std"}
# The plain model a version is built on: "普通版" of EG-3200-5G is EG-3200.
_BASE_WORDS = frozenset({"普通", "基础", "基本", "原版", "非5g", "不带5g"})
_NEGATED = re.compile(r"(?:不要|不带|不用|不需要|没有|去掉|除了)$")
_VERSIONED = re.compile(r"^([a-z]{2,})v?(\d+(?:\.\d+)?)$")
_LIST_SEPARATORS = re.compile(r"[\s、，,;；/和及或]")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9.\-]*[a-z0-9]|[0-9]+g(?![a-z0-9])")


@dataclass(frozen=True, slots=True)
class RowMatch:
    """A row of a product's table (or a product field) that answers an asked attribute."""

    product: Product
    param: Param | None  # None for a field (price, warranty, firmware)
    attribute: Attribute | None  # None when the row was found by its own name
    score: int

    @property
    def name(self) -> str:
        if self.param is not None:
            return self.param.name
        assert self.attribute is not None
        return self.attribute.label


class Catalog:
    """Built once per engine from the corpus and the attribute lexicon."""

    def __init__(self, *, corpus: Corpus, lexicon: AttributeLexicon, tokenizer: Tokenizer) -> None:
        self.corpus = corpus
        self.lexicon = lexicon
        self._by_id = {p.id: p for p in corpus.products}
        self._warranty_policies: dict[str, FaqEntry | None] = {}
        # A row's own words: its squashed name and the words of its name ("串口数量" -> 串口).
        self._row_words: dict[str, list[tuple[Param, tuple[str, ...]]]] = {}
        for p in corpus.products:
            rows = []
            for param in p.params:
                name = squash(param.name)
                words = {name} | {
                    squash(w)
                    for w in tokenizer.tokenize(param.name)
                    # (only pieces of the name: the tokenizer also emits expansion terms, "功耗" -> "参数")
                    if len(w) >= 2 and squash(w) not in lexicon.generic_row_words and squash(w) in name
                }
                rows.append((param, tuple(sorted(words, key=len, reverse=True))))
            self._row_words[p.id] = rows
        # What a product can be described by: its names, tags, summary and every row.
        self._features = {p.id: _feature_text(p) for p in corpus.products}
        self._tokenizer = tokenizer
        self._about = {p.id: squash(f"{p.name} {p.name_en} {p.summary} {' '.join(p.tags)}") for p in corpus.products}
        self._pair_df: dict[str, int] = {}
        for about in self._about.values():
            for pair in set(cjk_pairs(about)):
                self._pair_df[pair] = self._pair_df.get(pair, 0) + 1
        # The kind of thing a product is, from its name ("交换机", "网关", "液位计").
        self._name_words = {
            p.id: frozenset(squash(w) for w in tokenizer.tokenize(p.name) if len(w) >= 2 and not w.isascii())
            for p in corpus.products
        }
        # The head of the name, its last word of at most three characters: what staff call
        # the product ("那个平板", "液位计", "交换机"), unless it is too common a word alone.
        self._heads: dict[str, str] = {}
        for p in corpus.products:
            name = squash(p.name)
            ends = [
                w
                for w in self._name_words[p.id]
                if name.endswith(w) and len(w) <= 3 and not any(w.endswith(k) for k in lexicon.not_product_kinds)
            ]
            if ends:
                self._heads[p.id] = max(ends, key=len)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every product id of the catalogue."""
        return tuple(self._by_id)

    def product(self, product_id: str) -> Product | None:
        return self._by_id.get(product_id)

    def warranty_policy(self, product: Product) -> FaqEntry | None:
        """The warranty FAQ entry that states ``product``'s warranty period as its line's policy
        ("SN 系列…标准保修期为 18 个月"): it names the product, or a product of its line, or the
        line, and says the product's months as the period.  One naming the product itself first.
        Found once per product (the corpus of a catalogue does not change)."""
        if product.id not in self._warranty_policies:
            self._warranty_policies[product.id] = self._find_warranty_policy(product)
        return self._warranty_policies[product.id]

    def _find_warranty_policy(self, product: Product) -> FaqEntry | None:
        period = re.compile(rf"保修(?:期)?(?:均|都)?(?:为|是)?\s*{product.warranty_months}\s*个月")
        found: list[tuple[bool, str, FaqEntry]] = []
        for entry in self.corpus.faqs:
            if entry.category != FaqCategory.WARRANTY or not period.search(entry.answer):
                continue
            lines = {entry.product_line} | {p.line for pid in entry.products if (p := self._by_id.get(pid))}
            if product.id in entry.products or product.line in lines:
                found.append((product.id not in entry.products, entry.id, entry))
        return min(found, key=lambda f: f[:2])[2] if found else None

    def row_attributes(self) -> list[Attribute]:
        """Every row name of the catalogue that the lexicon does not cover, as an attribute:
        a question may name a row another product has ("云眸标准版能单点登录吗": only the
        enterprise edition has 单点登录), and must then hear this product has no such row."""
        covered = {w for a in self.lexicon.attributes for w in (*a.words, *a.rows)}
        names = dict.fromkeys(param.name for p in self.corpus.products for param in p.params)
        return [
            Attribute(key=f"row:{name}", label=name, rows=(squash(name),), field=None, words=(squash(name),), values=())
            for name in names
            if squash(name) not in covered and len(squash(name)) >= 2
        ]

    def compatibility(self, product: Product, other: str) -> tuple[Param, bool] | None:
        """A row of ``product`` that lists product ids ("适配控制器：EC-300、EC-500-Pro"), and
        whether ``other`` is among them; None when no row lists products."""
        best: tuple[float, Param] | None = None
        for param in product.params:
            listed = str(param.value)
            ids = [p for p in self._by_id if p in listed]
            if not ids or param.name in ("套件内容", "眼镜型号"):
                continue
            # A row that is a list of products ("适配控制器：EC-500-Pro") rather than one that
            # mentions a product in passing ("插补功能：…由 EC-500-Pro 功能块实现"): the share of
            # its value the ids cover; the first row wins a tie.
            covered = sum(len(p) for p in ids if not any(p != q and p in q for q in ids))
            share = covered / max(len(_LIST_SEPARATORS.sub("", listed)), 1)
            if best is None or share > best[0]:
                best = (share, param)
        if best is None:
            return None
        return best[1], other in str(best[1].value)

    # -- attributes --------------------------------------------------------------------

    def rows_for(self, product: Product, clause: str, mentions: Sequence[Mention]) -> list[RowMatch]:
        """The rows of ``product`` that ``clause`` (squashed) asks for, best first, one per
        asked attribute.  Value-word mentions are capability questions (see :meth:`has`)
        and are not answered here."""
        # Candidates with the span of the question they answer: a row's own name in the
        # question ("标定周期", "温度测量范围") and rows of the attributes mentioned.  The
        # longer span wins where two overlap ("电池能用多久" is the battery life, not the
        # 电池 row), and a row's own name wins a tie.
        spans: list[tuple[int, int, RowMatch]] = []
        for word in self._name_words[product.id]:  # "交换机" names the product, not its 交换容量
            clause = clause.replace(word, "\u25a1" * len(word))
        for param, words in self._row_words[product.id]:
            for w in words:
                at = clause.find(w)
                if at >= 0:
                    whole = w == squash(param.name)  # the row's full name wins a tie, a word of it does not
                    spans.append((at, at + len(w), RowMatch(product, param, None, len(w) + (1 if whole else 0))))
                    break
        for m in mentions:
            if m.by_value:
                continue
            for attribute in m.candidates:
                match = self.row_for_attribute(product, attribute, score=len(m.word))
                if match is not None:
                    spans.append((m.start, m.end, match))
                    break
        spans.sort(key=lambda s: (-s[2].score, s[0]))
        taken: list[tuple[int, int]] = []
        out: list[RowMatch] = []
        for start, end, match in spans:
            if any(start < e and s < end for s, e in taken) or any(match.name == r.name for r in out):
                continue
            taken.append((start, end))
            out.append(match)
        out.sort(key=lambda r: next(s for s, _, m in spans if m is r))
        return out

    def row_for_attribute(self, product: Product, attribute: Attribute, *, score: int = 0) -> RowMatch | None:
        """The product's row for ``attribute`` (its most specific fragment first), or the
        product field it names; None when the product has neither."""
        if attribute.field is not None:
            if attribute.field == "firmware" and not product.firmware:
                return None
            return RowMatch(product, None, attribute, score)
        for fragment in attribute.rows:
            for param in product.params:
                if fragment == squash(param.name):
                    return RowMatch(product, param, attribute, score)
        for fragment in attribute.rows:
            for param in product.params:
                if fragment in squash(param.name):
                    return RowMatch(product, param, attribute, score)
        return None

    def has(self, product: Product, term: str, *, prefer: Attribute | None = None) -> Param | None:
        """The row whose value or note names ``term`` (squashed), e.g. "modbus" in 支持协议;
        a versioned term needs its base and version ("snmpv3" in "SNMP v1/v2c/v3"); a term a
        longer one stands for is listed by it (``implied_by``: "lora" by "LoRaWAN")."""
        for longer in self.lexicon.implied_by.get(term, ()):
            if (param := self.has(product, longer, prefer=prefer)) is not None:
                return param  # "lora": a row that lists LoRaWAN
        versioned = _VERSIONED.match(term)
        # A Latin term stands alone in the typed value ("4G Cat.1", not the "4g" of "2.4 GHz").
        spaced = r"[\s\-_./·]*".join(re.escape(ch) for ch in term)
        whole = re.compile(rf"(?<![a-z0-9.]){spaced}(?![a-z])") if term.isascii() else None
        # The row of the term's own kind first ("4g" is the 无线制式, not a note on 功耗).
        own = self.row_for_attribute(product, prefer) if prefer is not None else None
        params = [own.param] if own is not None and own.param is not None else []
        for param in params + [p for p in product.params if not params or p is not params[0]]:
            listed = squash(f"{param.value} {param.note}")
            if whole.search(normalize(f"{param.value} {param.note}")) if whole else term in listed:
                return param
            if versioned and versioned.group(1) in listed and re.search(rf"v?{versioned.group(2)}(?!\d)", listed):
                return param
        return None

    def any_has(self, term: str) -> bool:
        """Some product's table names ``term`` ("modbus"): a capability to ask a model about;
        a word none names ("cashflow") is not one."""
        return any(self.has(p, term) is not None for p in self.corpus.products)

    # -- descriptions ------------------------------------------------------------------

    def by_description(
        self, text: str, *, candidates: Iterable[Product] | None = None, asked: Iterable[str] = ()
    ) -> list[Product]:
        """Products that every feature of a description fits ("8串口的网关", "80g雷达",
        "带poe的交换机"), in catalogue order; [] when the text describes no product feature.
        A kind of product named in the text ("交换机") must be in the product's name; ``asked``
        (capability terms, "opcua" in "4g那款能做opc ua吗") describe nothing."""
        pool = list(candidates) if candidates is not None else list(self.corpus.products)
        skip = {squash(a) for a in asked}
        # A feature no product has is not a description of ours ("200台织机").
        features = [
            f
            for f in description_features(text)
            if not any(s.startswith(f.word) or f.word in s for s in skip if f.number is None)
            and (f.negated or any(f.fits(p, self._features[p.id]) for p in pool))
        ]
        if not features:
            return []
        sq = squash(text)
        kinds = {w for w in _KIND_WORDS if w in sq and any(w in squash(p.name) for p in pool)}
        fitting = [
            p
            for p in pool
            if all(k in squash(p.name) for k in kinds) and all(f.fits(p, self._features[p.id]) for f in features)
        ]
        # Of several that fit, the ones whose name has more of the words ("入门那款4g网关").
        words = {squash(w) for w in self._tokenizer.tokenize(text) if len(w) >= 2 and not w.isascii()} - kinds
        named = [(sum(1 for w in words if w in squash(p.name)), p) for p in fitting]
        best = max((n for n, _ in named), default=0)
        return [p for n, p in named if n == best] if best else fitting

    def by_words(self, text: str, *, candidates: Iterable[Product] | None = None) -> list[Product]:
        """The product a description in words fits best ("卡在电机电缆上测电流的无线传感器" ->
        SN-CU120, "能看到设备停没停 算开机率的那个软件模块" -> MP-OEE), when one clearly does.

        Character pairs of the description found in a product's name, summary and tags,
        each weighted by how few products have it (jieba cuts descriptions unreliably:
        "开机率" -> "算开", "机率")."""
        pool = list(candidates) if candidates is not None else list(self.corpus.products)
        pairs = {b for b in cjk_pairs(squash(text))}
        weight = {b: math.log(len(self._about) / df) for b in pairs if (df := self._pair_df.get(b, 0))}
        scored = sorted(
            ((sum(w for b, w in weight.items() if b in self._about[p.id]), i, p) for i, p in enumerate(pool)),
            key=lambda x: (-x[0], x[1]),
        )
        if not scored or scored[0][0] < _MIN_DESCRIPTION_WEIGHT:
            return []
        if len(scored) > 1 and scored[1][0] * _DESCRIPTION_MARGIN > scored[0][0]:
            return []
        return [scored[0][2]]

    def name_words_in(self, product: Product, squashed: str) -> int:
        """How many words of the product's name, other than the kind of thing it is
        ("传感器", "网关"), the squashed text has."""
        return sum(1 for w in self._name_words[product.id] if w not in _KIND_WORDS and w in squashed)

    def by_head(self, text: str) -> Product | None:
        """The one product whose name's head the text uses ("防爆那个平板" -> AR-T10-EX); None
        when no product's or several products' heads are in it ("交换机", "网关")."""
        sq = squash(text)
        hits = [pid for pid, head in self._heads.items() if head in sq]
        return self._by_id[hits[0]] if len(hits) == 1 else None

    def of_kind(self, text: str, *, line: str) -> list[Product]:
        """The products of ``line`` whose name has the kind word the text uses ("ar眼镜" -> the
        glasses, not the helmet); all of the line's products when the text names no kind."""
        sq = squash(text)
        pool = self.products_of_line(line)
        kinds = {w for w in _KIND_WORDS if w in sq and any(w in squash(p.name) for p in pool)}
        return [p for p in pool if all(k in squash(p.name) for k in kinds)] if kinds else pool

    def variant(self, product: Product, word: str) -> Product | None:
        """The version of ``product`` that ``word`` names ("5g" of EG-3200 is EG-3200-5G,
        "专业" of AR-G1 is AR-G2-Pro): same line, the word in its id or name."""
        if word in _BASE_WORDS:
            bases = [p for p in self.products_of_line(product.line) if product.id.startswith(f"{p.id}-")]
            return max(bases, key=lambda p: len(p.id)) if bases else None
        key = _VARIANT_WORDS.get(word, word)
        same_line = [p for p in self.products_of_line(product.line) if p.id != product.id]
        named = [p for p in same_line if key in p.id.lower() or word in p.name.lower()]
        family = [p for p in named if p.id.startswith(product.id)]
        pool = family or named
        return pool[0] if len(pool) >= 1 else None

    def alternatives(self, product: Product, direction: str, *, description: str = "") -> list[Product]:
        """Other products of the same kind as ``product``, changed one way ("便宜点", "小一点",
        "多点"), closest first; a description in the same text narrows them ("4个串口就够")."""
        kind = self._name_words[product.id]
        pool = [
            p
            for p in self.products_of_line(product.line)
            if p.id != product.id and (not kind or kind & self._name_words[p.id])
        ]
        if description:
            fitting = self.by_description(description, candidates=pool)
            pool = fitting or pool
        price = product.price.list_price
        if re.search(r"贵|高端|大|多", direction):
            ordered = sorted((p for p in pool if p.price.list_price > price), key=lambda p: p.price.list_price)
        else:
            ordered = sorted((p for p in pool if p.price.list_price < price), key=lambda p: -p.price.list_price)
        return ordered[:2]

    def products_of_line(self, line: str) -> list[Product]:
        return [p for p in self.corpus.products if p.line == line]


@dataclass(frozen=True, slots=True)
class Feature:
    number: str | None  # "8"
    word: str  # "串口", "poe", "g"
    negated: bool = False  # "不要5g": a product must not have it

    def fits(self, product: Product, feature_text: str) -> bool:
        return self._has(product, feature_text) != self.negated

    def _has(self, product: Product, feature_text: str) -> bool:
        if self.number is None:
            # A Latin word whole: "di" is not the "di" of "DIN 导轨" (the feature text keeps no
            # spaces, so the product's words are checked one by one).
            return any(_whole_word(self.word, w) for w in _latin_words(product))
        # "8串口的" -> the word is a prefix of what follows the number: try the longest first,
        # never cutting into a Latin word ("4路di" is not "4 dBi").
        latin = len(m.group(0)) if (m := _LEADING_LATIN.match(self.word)) else 1
        return any(self._fits(product, feature_text, self.word[:n]) for n in range(len(self.word), latin - 1, -1) if n)

    def _fits(self, product: Product, feature_text: str, word: str) -> bool:
        number = self.number or ""
        for param in product.params:
            name = squash(param.name)
            value = squash(f"{param.value}{param.unit}")
            if (word in name or name in word) and _number_in(number, value):
                return True
            if value.startswith(number) and value[len(number) :].startswith(word):
                return True  # "80g" -> 工作频率 80 GHz
        return f"{number}{word}" in feature_text


_LEADING_LATIN = re.compile(r"[a-z]+")


_LATIN_CACHE: dict[tuple[str, int], frozenset[str]] = {}


def _latin_words(product: Product) -> frozenset[str]:
    """The Latin words of a product's names, tags, summary and rows (kept per product object)."""
    key = (product.id, id(product))
    found = _LATIN_CACHE.get(key)
    if found is None:
        found = _LATIN_CACHE[key] = _read_latin_words(product)
    return found


def _read_latin_words(product: Product) -> frozenset[str]:
    text = normalize(f"{product.id} {product.name} {product.name_en} {' '.join(product.tags)} {product.summary} ")
    text += normalize(" ".join(f"{p.name} {p.value} {p.unit} {p.note}" for p in product.params))
    words = re.findall(r"[a-z][a-z0-9.\-]*", text)
    return frozenset(words) | {squash(w) for w in words}  # "nb-iot" is typed "nbiot" too


def _whole_word(word: str, token: str) -> bool:
    """``word`` is ``token`` or its leading part before a digit or a separator ("modbus" of
    "modbus", "4g" of "4g"); never the start of a longer word ("di" of "din")."""
    return token == word or (token.startswith(word) and not token[len(word)].isalpha())


def description_features(text: str) -> list[Feature]:
    """The features a description names: numbers with the word after them, Latin words."""
    sq = squash(text)
    features: list[Feature] = []
    for m in _NUMBER_WORD.finditer(sq):
        if m.group(2):
            # "8口的交换机": the ports counted, not "的工业" after them (a prefix of the word fits).
            word = ("口" if "口" in sq[m.end(1) : m.start(2)] else "") + m.group(2)
            features.append(Feature(number=m.group(1), word=word, negated=_negated(sq, m.start())))
    for m in _LATIN_WORD.finditer(sq):
        word = m.group(0)
        if not any(f.number and word.startswith(f.number) for f in features):
            features.append(Feature(number=None, word=word, negated=_negated(sq, m.start())))
    return features


def _negated(sq: str, start: int) -> bool:
    return bool(_NEGATED.search(sq[max(0, start - 4) : start]))


def _number_in(number: str, value: str) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", value) is not None


def _feature_text(p: Product) -> str:
    rows = " ".join(f"{param.name}{param.value}{param.unit}{param.note}" for param in p.params)
    return squash(f"{p.id} {p.name} {p.name_en} {' '.join(p.tags)} {p.summary} {rows}")
