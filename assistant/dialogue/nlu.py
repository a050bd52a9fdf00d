"""Natural-language understanding: one utterance -> intent + canonical slots.

Deterministic and fast (well under 2 ms an utterance once built):

* slots come from dictionaries generated from the corpus (:mod:`lexicon`),
  number patterns (:mod:`numbers`) and a few context rules (a money figure after
  "每小时" is a downtime cost, after "人工" a labour cost; a value right after
  "不是" is the one being corrected away);
* the intent comes from a softmax classifier over character n-grams of the
  utterance with its entities masked ("vb500电池" -> "<P>电池"), jieba words and
  cue flags (rebate words, handoff words, a parameter name of a mentioned
  product...).  It trains at construction on the seed phrases in
  :mod:`seeds` plus any labelled examples passed in (only dev-split items:
  see ``eval/chat.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from assistant.content.loader import Corpus
from assistant.dialogue.classifier import IntentClassifier, TrainingExample
from assistant.dialogue.errors import EmptyUtteranceError, UtteranceTooLongError
from assistant.dialogue.lexicon import Lexicon, find_all
from assistant.dialogue.numbers import NumberMention, find_numbers, find_quarter
from assistant.dialogue.seeds import SEEDS
from assistant.dialogue.types import INTENTS, CustomerProfile, Intent, Slots, Understanding
from assistant.retrieval.tokenizer import Tokenizer, UserDictionary, normalize

log = logging.getLogger(__name__)

MAX_UTTERANCE_CHARS = 2000
CURRENT_YEAR = 2026

# Typos and variants seen in phone typing -> the form the dictionaries know.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"网官"), "网关"),
    (re.compile(r"反利|反点"), "返利"),
    (re.compile(r"(\d)\s*(?:增强版|增强型|专业版)"), r"\1pro"),
    (re.compile(r"(?<![a-z])(std|ent)\s*版"), r"cld\1"),
    (re.compile(r"(?:云眸|平台)\s*(标准版|企业版)"), r"云眸平台\1"),
    (re.compile(r"(?:私有化|本地化?)(?:部署)?版"), "云眸平台私有化部署版"),
)

_NEGATION = re.compile(r"(?:不是|而非|并非|并不是|不算)$")
_PRONOUN = re.compile(r"(?:^|[，,\s])(?:它|它的|这个|这款|这台|那个|那款|该型号|这个型号|这型号)")

# Cue words that feed the classifier as flags (and, for a few, rules).
CUES: dict[str, tuple[str, ...]] = {
    "rebate": (
        "返利",
        "返点",
        "返现",
        "激励",
        "补贴",
        "档位",
        "下一档",
        "掉档",
        "第几档",
        "那档",
        "基线",
        "对账单",
        "结算单",
        "排名",
        "排老几",
        "增量",
        "销售额",
        "业绩",
        "冲到",
        "再卖",
        "再签",
        "返了",
        "预提",
    ),
    "handoff": (
        "转人工",
        "人工客服",
        "专家",
        "工程师",
        "技术支持",
        "售前",
        "售后",
        "研发",
        "原厂",
        "远程帮",
        "远程协助",
        "远程看",
        "派人",
        "派个人",
        "叫个人",
        "叫人",
        "找人",
        "找个人",
        "的人",
        "真人",
        "客服",
        "支援",
        "搞不定",
        "回答不了",
        "急",
    ),
    "case": (
        "案例",
        "样板",
        "标杆",
        "参考客户",
        "成功",
        "同行",
        "用过",
        "做过",
        "例子",
        "参考",
        "落地",
        "参观",
        "效果",
        "类似",
        "项目",
    ),
    "script": (
        "话术",
        "怎么说",
        "怎么讲",
        "怎么回",
        "怎么答",
        "怎么开口",
        "怎么聊",
        "怎么介绍",
        "咋说",
        "咋回",
        "开场",
        "说服",
        "说辞",
        "说法",
        "应对",
        "逼单",
        "促单",
        "嫌贵",
        "太贵",
        "压价",
        "打动",
        "怎么接",
        "怎么跟",
        "跟他讲",
        "聊什么",
    ),
    "greeting": (
        "你好",
        "您好",
        "在吗",
        "在不在",
        "早上好",
        "晚上好",
        "下午好",
        "早安",
        "谢",
        "辛苦",
        "拜拜",
        "再见",
        "哈喽",
        "hello",
        "hi",
        "ok",
        "好的",
        "明白",
        "收到",
        "知道了",
        "在线",
    ),
    "mine": ("我", "我们", "咱", "俺"),
    "rule": (
        "规则",
        "怎么划",
        "咋划",
        "怎么定",
        "咋定",
        "算法",
        "区别",
        "政策",
        "是什么",
        "啥意思",
        "什么意思",
        "怎么算",
        "最多能",
        "规定",
        "有啥不同",
    ),
    "learn": ("课", "培训", "学", "教程", "实训", "认证", "考试", "考多少", "资料", "文档", "手册", "视频"),
    "howto": ("怎么", "如何", "咋", "哪些", "几点", "流程", "准备", "需要什么", "能不能", "能否", "多久"),
    "imperative": (
        "给我",
        "帮我",
        "找个",
        "找人",
        "叫个",
        "叫人",
        "派",
        "转人工",
        "接技术",
        "约个",
        "现在就要",
        "来一个",
        "安排",
        "赶紧找",
        "直接找",
        "找原厂",
        "找你们",
        "给我个",
        "帮看",
        "帮忙看",
        "远程帮",
    ),
    "fault": (
        "不灵",
        "不走",
        "掉线",
        "掉",
        "报警",
        "闪",
        "不上",
        "不了",
        "断",
        "失败",
        "异常",
        "报错",
        "没输出",
        "负数",
        "坏",
        "重启",
        "离线",
        "超时",
        "不准",
        "跳",
        "误报",
        "丢",
        "不动",
        "不亮",
        "红灯",
        "没反应",
        "起不来",
        "读不到",
        "只读",
        "反了",
        "空白",
        "卡",
        "故障",
    ),
    "compare": ("和", "跟", "比", "区别", "差多少", "不一样", "对比", "哪个好", "还是", "vs", "pk"),
    "compat": ("能不能", "能否", "兼容", "能配", "能插", "能接", "能用", "可以用", "支持不", "能跑"),
    "price": ("多少钱", "多钱", "价格", "报价", "目录价", "标价", "啥价", "售价", "价钱", "一年多少", "几块钱"),
    "warranty": ("保修", "质保"),
    "question": (
        "吗",
        "?",
        "？",
        "怎么",
        "咋",
        "啥",
        "什么",
        "多少",
        "几",
        "有没有",
        "能不能",
        "是否",
        "哪",
        "呢",
        "多大",
        "多久",
        "多长",
        "多远",
        "多重",
        "多快",
        "不",
    ),
    "statement": ("客户", "他们", "对方", "对接", "厂里", "是个", "那边", "其实", "说错", "不对", "改成", "主要", "叫"),
    "offtopic": (
        "天气",
        "吃",
        "玩",
        "酒店",
        "机票",
        "火车票",
        "请假",
        "笑话",
        "作业",
        "房贷",
        "利率",
        "驾照",
        "打印机",
        "笔记本",
        "电脑",
        "蓝屏",
        "excel",
        "word",
        "python",
        "linux",
        "java",
        "跳槽",
        "招聘",
        "年会",
        "翻译",
        "注册",
        "crm",
        "erp",
        "机器人",
        "变频器",
        "组件",
        "股票",
        "基金",
        "彩票",
        "电影",
        "游戏",
        "旅游",
        "诗",
        "请假条",
        "工资条",
        "梯形图",
        "拆机",
        "破解",
        "主板",
        "西门子",
        "三菱",
        "欧姆龙",
        "施耐德",
        "abb",
        "华为",
        "罗克韦尔",
        "台达",
        "汇川",
        "倍福",
        "vlan",
        "空调",
        "手机",
        "飞",
        "机票",
        "孩子",
        "医院",
        "发烧",
        "限行",
        "尾号",
        "合同翻",
        "英文",
        "外卖",
        "快递",
        "老婆",
        "相亲",
    ),
}

# Words that put a number in a slot.
_PER_HOUR = re.compile(r"(?:每|一|1|/|每个|一个)\s*(?:小时|h|钟头)|小时\s*(?:损失|亏|成本|影响)")
_PER_HOUR_AFTER = re.compile(r"^\s*(?:每|/|一)\s*(?:个)?\s*(?:小时|h|钟头)")
_LABOUR = re.compile(r"人工|人力|工资|人员|薪|班组|巡检|工人|人头")
_MONTH = re.compile(r"每月|每个月|一个月|1个月|月均|/月|一月|月度|月")
_YEAR = re.compile(r"每年|一年|年均|/年|全年")
_DOWNTIME = re.compile(r"停机|停线|宕机|停产|故障|停")
_NOT_SALES = re.compile(r"^(?:的)?(?:补贴|奖励)|^的(?:返利|返点|激励)")
_MEASURE_AFTER = re.compile(
    r"^(?:点|条|米|秒|年|度|伏|瓦|寸|路|口|位|次|种|倍|号|岁|分钟|分|斤|公里|平|家|支|个点|ms|us|mm|m|g|kg)"
)
_DEVICE_NOUN = re.compile(r"^\s*(?:台|套)|^\s*个\s*(?:设备|机台|机器|电机|泵|测点|点位|传感器)")
_DEVICE_BEFORE = re.compile(r"(?:测点|点位|设备|传感器|机台)\s*$")
_CUSTOMER_NAME = re.compile(
    r"(?:客户|公司|厂子?|对方|那家|这家)?\s*(?:叫|名叫|名字叫|名字是|名称是)\s*"
    r"(?P<name>[\u4e00-\u9fffA-Za-z0-9]{2,20}?)(?=$|[，,。.!！？?\s]|的|吧|啊|呀|哈)"
)
# A company name typed on its own between spaces: "华东一家中型食品厂 鲜丰食品 采购经理".
_STANDALONE_NAME = re.compile(
    r"(?:^|\s)(?P<name>[\u4e00-\u9fff]{2,4}(?:食品|科技|精密|机械|电子|制药|化工|水务|纺织|物流|集团|股份|实业|能源))(?=\s|$)"
)
_COMPANY_NAME = re.compile(
    r"(?P<name>[\u4e00-\u9fffA-Za-z]{2,12}(?:有限公司|股份公司|集团|科技|精密|机械|电子|制药|化工|水务|食品|纺织|物流)"
    r"(?:有限公司)?)"
)

# The slots each intent reads: a money figure in a parameter question is a spec,
# not a deal size, and "操作工说..." in a fault report is not the customer's persona.
_ALL_SLOTS = frozenset(
    {
        "customer_name",
        "industry",
        "region",
        "scale",
        "persona",
        "product_line",
        "product_model",
        "quarter",
        "amount",
        "device_count",
        "downtime_hours_per_month",
        "downtime_cost_per_hour",
        "labour_cost_per_month",
    }
)
_SLOT_POLICY: dict[str, frozenset[str]] = {
    "knowledge_qa": frozenset({"product_model", "product_line", "quarter", "industry"}),
    "product_params": frozenset({"product_model", "product_line"}),
    "script_request": _ALL_SLOTS,
    "case_request": frozenset(
        {"industry", "region", "scale", "persona", "product_line", "product_model", "customer_name"}
    ),
    "rebate_query": frozenset({"quarter", "amount"}),
    "handoff_request": frozenset({"product_model", "product_line"}),
    "profile_update": _ALL_SLOTS,
    "greeting": frozenset(),
    "out_of_scope": frozenset(),
}
_GENERIC_PARAM_WORDS = frozenset({"时间", "方式", "范围", "数量", "类型", "支持", "最大", "最小", "功能", "能力"})
_GENERIC_LINE_WORDS = frozenset({"网关", "平台", "云平台", "控制器", "传感器", "传感气"})
_CLAUSE_BREAK = re.compile(r"[，,。；;！!？?、]")
_ALNUM_ONLY = re.compile(r"^[a-z0-9|]+$")
_SMALL_WORDING = re.compile(r"小(?:厂|企业|公司|项目|站|工厂|作坊)|人很少|人不多|几十个?人|就几个人")
_MEDIUM_WORDING = re.compile(r"[几一二三四五六七八九两]百(?:多)?个?人|百来人")
_LARGE_WORDING = re.compile(r"上千人|几千人|[一二三四五六七八九两]千(?:多)?个?人|上万人")


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the NLU read from one utterance; the engine uses more than the slots."""

    text: str  # normalised
    understanding: Understanding
    products: tuple[str, ...]  # product ids mentioned, in text order
    product_lines: tuple[str, ...]
    param_concepts: tuple[str, ...]  # words to look for in parameter-row names
    competitors: tuple[str, ...]
    stages: tuple[str, ...]
    personas_hinted: tuple[str, ...]  # persona cues including concern words (for ranking)
    pronoun: bool  # "它/这个" refers to the product in the profile
    asks_price: bool
    asks_warranty: bool
    scores: dict[str, float] = field(default_factory=dict)  # intent probabilities

    @property
    def intent(self) -> Intent:
        return self.understanding.intent


_PERSONA_HINTS: dict[str, tuple[str, ...]] = {
    "roi_manager": ("投资回报", "roi", "回本", "算账", "回报", "省多少钱", "预算"),
    "it_security": ("数据安全", "上云不安全", "安全吗", "等保", "网络隔离", "数据出厂", "防火墙"),
    "procurement": ("压价", "比价", "付款", "账期", "交期", "便宜"),
    "tech_decision_maker": ("技术", "参数", "协议", "架构"),
    "operator": ("好不好用", "操作", "上手", "培训"),
}


class Nlu:
    """Intent and slot extraction built from a corpus.  Construct once; ``understand`` is pure."""

    def __init__(
        self,
        *,
        corpus: Corpus,
        tokenizer: Tokenizer | None = None,
        examples: Iterable[tuple[str, Intent] | tuple[str, Intent, CustomerProfile]] = (),
        current_year: int = CURRENT_YEAR,
    ) -> None:
        from indexer.build import corpus_terms  # the index and the NLU share one user dictionary

        self.corpus = corpus
        self.lexicon = Lexicon.from_corpus(corpus)
        self.tokenizer = tokenizer or Tokenizer(UserDictionary.from_terms(corpus_terms(corpus)))
        self.current_year = current_year
        self._classifier = IntentClassifier(labels=INTENTS)
        self._domain_words = _corpus_words(corpus, self.tokenizer)
        self._param_words = {
            p.id: frozenset(
                w
                for param in p.params
                for w in self.tokenizer.tokenize(param.name)
                if len(w) >= 2 and w not in _GENERIC_PARAM_WORDS
            )
            for p in corpus.products
        }
        training: list[tuple[str, Intent, CustomerProfile]] = [(t, i, CustomerProfile()) for t, i in SEEDS]
        for ex in examples:
            training.append((ex[0], ex[1], ex[2] if len(ex) == 3 else CustomerProfile()))
        self._classifier.fit(
            [TrainingExample(tuple(self._features(text, profile)[0]), intent) for text, intent, profile in training]
        )
        log.info("nlu trained on %d examples (%d seeds)", len(training), len(SEEDS))

    # -- public -------------------------------------------------------------------

    def understand(self, text: str, *, profile: CustomerProfile) -> Understanding:
        return self.analyse(text, profile=profile).understanding

    def analyse(self, text: str, *, profile: CustomerProfile) -> Analysis:
        if len(text) > MAX_UTTERANCE_CHARS:
            raise UtteranceTooLongError(f"utterance longer than {MAX_UTTERANCE_CHARS} characters")
        features, ents = self._features(text, profile)
        if not ents.norm:
            raise EmptyUtteranceError("utterance is empty")
        scores = self._classifier.predict_proba(features)
        intent = self._decide(scores, ents, profile)
        slots = self._slots(ents, intent, profile)
        return Analysis(
            text=ents.norm,
            understanding=Understanding(intent=intent, confidence=round(scores[intent], 4), slots=Slots(slots)),
            products=ents.products,
            product_lines=ents.lines,
            param_concepts=ents.params,
            competitors=ents.competitors,
            stages=ents.stages,
            personas_hinted=ents.persona_hints,
            pronoun=ents.pronoun,
            asks_price=ents.cue["price"],
            asks_warranty=ents.cue["warranty"],
            scores=scores,
        )

    # -- entities -----------------------------------------------------------------

    def _entities(self, text: str) -> _Entities:
        norm = normalize(text)
        for pattern, repl in _REWRITES:
            norm = pattern.sub(repl, norm)
        sq, pos = _squash_with_positions(norm)
        breaks = frozenset(i for i in range(1, len(pos)) if pos[i] > pos[i - 1] + 1)
        lx = self.lexicon

        def matches(table: tuple[tuple[str, str], ...], masked: str = sq) -> list[tuple[str, int, int]]:
            return [m for m in find_all(masked, table, breaks=breaks) if not _negated(masked, m[1])]

        products = matches(lx.products)
        # Industry and region words inside product names or domain terms are not the customer's.
        masked = sq
        for term in lx.mask_terms:
            if term in masked:
                masked = masked.replace(term, "\u25a1" * len(term))
        line_text = masked
        for _, s, e in products:
            masked = masked[:s] + "\u25a1" * (e - s) + masked[e:]
            if _ALNUM_ONLY.match(sq[s:e]):
                # A model number hides its line prefix ("ar-g1"); a typed name does not ("ar安全帽").
                line_text = line_text[:s] + "\u25a1" * (e - s) + line_text[e:]
        line_matches = [m for m in matches(lx.product_lines, line_text) if not _locative(line_text, m[2])]
        script_line_matches = [m for m in matches(lx.script_lines, line_text) if not _locative(line_text, m[2])]
        industries = matches(lx.industries, masked)
        regions = matches(lx.regions, masked)
        competitors = find_all(sq, lx.competitors)
        personas = matches(lx.personas, masked)
        scales = matches(lx.scales, masked)
        extra_scale = _scale_from_wording(masked, industries)
        if extra_scale and not scales:
            scales = [(extra_scale, 0, 0)]
        stages = find_all(sq, lx.stages)
        params = find_all(sq, lx.param_words)
        negated_all = [m for m in find_all(masked, lx.scales) if _negated(masked, m[1])]
        # Spans of entity mentions in the normalised text, hidden from the number scan.
        hidden = [(pos[s], pos[e - 1] + 1) for _, s, e in products]
        quarter = find_quarter(norm, current_year=self.current_year)
        if quarter is not None:
            hidden.append((quarter[1], quarter[2]))
        num_text = norm
        for s, e in hidden:
            num_text = num_text[:s] + " " * (e - s) + num_text[e:]
        numbers = find_numbers(num_text)
        cue = {name: any(_cue_in(w, norm, sq) for w in words) for name, words in CUES.items()}
        hints = [v for _, v, *_ in ((0, p[0]) for p in personas)]
        for persona, words in _PERSONA_HINTS.items():
            if any(w in sq for w in words):
                hints.append(persona)
        return _Entities(
            norm=norm,
            squashed=sq,
            products=_unique(m[0] for m in products),
            lines=_unique(m[0] for m in line_matches),
            product_spans=tuple(products),
            line_spans=tuple(line_matches),
            script_line_spans=tuple(script_line_matches),
            industries=_unique(m[0] for m in industries),
            regions=_unique(m[0] for m in regions),
            competitors=_unique(m[0] for m in competitors),
            personas=_unique(m[0] for m in personas),
            scales=_unique(m[0] for m in scales),
            stages=_unique(m[0] for m in stages),
            params=_unique(m[0] for m in params),
            persona_hints=_unique(hints),
            quarter=quarter[0] if quarter else None,
            numbers=tuple(numbers),
            num_text=num_text,
            customer_name=_customer_name(norm, text),
            pronoun=bool(_PRONOUN.search(norm)),
            cue=cue,
            corrected=bool(negated_all) or bool(re.search(r"不是|说错|不对|改成|更正|纠正", norm)),
        )

    # -- classifier features ------------------------------------------------------

    def _features(self, text: str, profile: CustomerProfile) -> tuple[list[str], _Entities]:
        ents = self._entities(text)
        masked = ents.squashed
        lx = self.lexicon
        for table, tag in (
            (lx.products, "Ⓟ"),
            (lx.competitors, "Ⓒ"),
            (lx.industries, "Ⓘ"),
            (lx.regions, "Ⓡ"),
        ):
            for _, s, e in sorted(find_all(masked, table), key=lambda m: -m[1]):
                masked = masked[:s] + tag + masked[e:]
        masked = re.sub(r"\d+(?:\.\d+)?", "0", masked)
        feats: list[str] = []
        padded = f"^{masked}$"
        for n in (1, 2, 3):
            feats.extend(f"c{n}:{padded[i : i + n]}" for i in range(len(padded) - n + 1))
        words = [t for t in self.tokenizer.tokenize(ents.norm) if not any(ch.isdigit() for ch in t)]
        feats.extend(f"w:{t}" for t in words)
        # How much of the utterance the corpus talks about: off-topic text shares few words with it.
        content = [w for w in words if len(w) >= 2]
        if content:
            cov = sum(w in self._domain_words for w in content) / len(content)
            feats.append("cov:" + ("0" if cov == 0 else "low" if cov < 0.4 else "mid" if cov < 0.75 else "high"))
        else:
            feats.append("cov:none")
        target = ents.products[0] if ents.products else profile.product_model
        if target and self._param_words.get(target, frozenset()) & set(words):
            feats.append("f:own_param")
        known = profile.known()
        if known:
            feats.append("ctx:any")
        if "product_model" in known or "product_line" in known:
            feats.append("ctx:product")
        flags = {
            "product": bool(ents.products),
            "line": bool(ents.lines),
            "competitor": bool(ents.competitors),
            "param": bool(ents.params),
            "industry": bool(ents.industries),
            "region": bool(ents.regions),
            "persona": bool(ents.personas),
            "scale": bool(ents.scales),
            "stage": bool(ents.stages),
            "quarter": ents.quarter is not None,
            "number": bool(ents.numbers),
            "money": any(n.is_money for n in ents.numbers),
            "pronoun": ents.pronoun,
            "name": ents.customer_name is not None,
            "short": len(masked) <= 4,
            "long": len(masked) >= 20,
            "corrected": ents.corrected,
        }
        flags.update({f"cue_{k}": v for k, v in ents.cue.items()})
        flags["domain"] = any(
            flags[k] for k in ("product", "line", "competitor", "param", "industry", "region", "persona", "scale")
        ) or any(ents.cue[k] for k in ("rebate", "case", "script"))
        flags["profile_facts"] = (
            sum(bool(x) for x in (ents.industries, ents.regions, ents.personas, ents.scales, ents.customer_name)) >= 1
            and not ents.cue["question"]
        )
        feats.extend(f"f:{k}" for k, v in flags.items() if v)
        if flags["product"] and flags["param"]:
            feats.append("f:product+param")
        if flags["product"] and ents.cue["price"]:
            feats.append("f:product+price")
        if not flags["domain"]:
            feats.append("f:no_domain")
        cue = ents.cue
        for a, b in (
            ("rebate", "mine"),
            ("rebate", "rule"),
            ("rebate", "learn"),
            ("handoff", "howto"),
            ("handoff", "mine"),
            ("handoff", "imperative"),
            ("param", "fault"),
            ("param", "compare"),
            ("param", "compat"),
            ("product", "fault"),
            ("product", "learn"),
            ("script", "learn"),
            ("competitor", "script"),
            ("persona", "script"),
            ("persona", "question"),
        ):
            if (flags.get(a) or cue.get(a)) and (flags.get(b) or cue.get(b)):
                feats.append(f"f:{a}&{b}")
        return feats, ents

    def _decide(self, scores: dict[str, float], ents: _Entities, profile: CustomerProfile) -> Intent:
        intent: Intent = max(INTENTS, key=lambda i: (scores[i], -INTENTS.index(i)))
        return intent

    # -- slots --------------------------------------------------------------------

    def _slots(self, ents: _Entities, intent: Intent, profile: CustomerProfile) -> dict[str, str | int | Decimal]:
        allowed = _SLOT_POLICY.get(intent, frozenset())
        if not allowed:
            return {}

        def pick(values: Sequence[str]) -> str:
            # A correction ("不是华东，是华南") names the new value last.
            return values[-1] if ents.corrected else values[0]

        out: dict[str, str | int | Decimal] = {}
        products = ents.products
        line = self._line_slot(ents, intent)
        if intent == "script_request" and len(products) >= 2:
            lines_of = {self.lexicon.product_line_of.get(p) for p in products}
            if len(lines_of) == 1:
                line = lines_of.pop()
                products = ()
        if products:
            out["product_model"] = pick(products)
        if line:
            out["product_line"] = line
        for key, values in (
            ("industry", ents.industries),
            ("region", ents.regions),
            ("scale", ents.scales),
            ("persona", ents.personas),
        ):
            if values:
                out[key] = pick(values)
        if ents.quarter:
            out["quarter"] = ents.quarter
        if ents.customer_name:
            out["customer_name"] = ents.customer_name
        out.update(_number_slots(ents.num_text, ents.numbers))
        known = profile.as_dict()
        return {k: v for k, v in out.items() if k in allowed and known.get("order_amount" if k == "amount" else k) != v}

    def _line_slot(self, ents: _Entities, intent: Intent) -> str | None:
        """A product line the user names as such.  With a model named the model says it all;
        in a technical question only a specific word counts ("云眸", "AR"), not "网关上"."""
        if ents.product_spans:
            return None
        spans = ents.script_line_spans if intent == "script_request" else ents.line_spans
        if intent in ("knowledge_qa", "product_params"):
            spans = tuple(m for m in spans if ents.squashed[m[1] : m[2]] not in _GENERIC_LINE_WORDS)
        lines = _unique(m[0] for m in spans)
        if not lines or (len(lines) > 1 and intent in ("knowledge_qa", "product_params")):
            return None
        return lines[-1] if ents.corrected else lines[0]


@dataclass(frozen=True, slots=True)
class _Entities:
    norm: str
    squashed: str
    products: tuple[str, ...]
    lines: tuple[str, ...]
    product_spans: tuple[tuple[str, int, int], ...]
    line_spans: tuple[tuple[str, int, int], ...]
    script_line_spans: tuple[tuple[str, int, int], ...]
    industries: tuple[str, ...]
    regions: tuple[str, ...]
    competitors: tuple[str, ...]
    personas: tuple[str, ...]
    scales: tuple[str, ...]
    stages: tuple[str, ...]
    params: tuple[str, ...]
    persona_hints: tuple[str, ...]
    quarter: str | None
    numbers: tuple[NumberMention, ...]
    num_text: str
    customer_name: str | None
    pronoun: bool
    cue: dict[str, bool]
    corrected: bool


def _squash_with_positions(norm: str) -> tuple[str, list[int]]:
    """The squashed text (see lexicon.squash) and, per squashed char, its index in ``norm``."""
    chars: list[str] = []
    pos: list[int] = []
    seps = " -_./·"
    i = 0
    while i < len(norm):
        ch = norm[i]
        if ch in seps:
            j = i
            while j < len(norm) and norm[j] in seps:
                j += 1
            if chars and j < len(norm) and chars[-1].isdigit() and norm[j].isdigit():
                chars.append("|")
                pos.append(i)
            i = j
            continue
        chars.append(ch)
        pos.append(i)
        i += 1
    return "".join(chars), pos


def _corpus_words(corpus: Corpus, tokenizer: Tokenizer) -> frozenset[str]:
    """Every word of two characters or more that the corpus uses."""
    from assistant.content.documents import chunk_corpus

    words: set[str] = set()
    for doc in chunk_corpus(corpus):
        words.update(t for t in tokenizer.tokenize(f"{doc.title} {doc.text}") if len(t) >= 2)
    return frozenset(words)


def _gap(a: tuple[str, int, int], b: tuple[str, int, int]) -> int:
    return max(a[1] - b[2], b[1] - a[2], 0)


def _locative(text: str, end: int) -> bool:
    """ "平台上", "网关里": the line word names a place in the system, not a product."""
    return text[end : end + 1] in ("上", "里")


def _scale_from_wording(text: str, industries: Sequence[tuple[str, int, int]]) -> str | None:
    if _SMALL_WORDING.search(text) or any(s > 0 and text[s - 1] == "小" for _, s, _ in industries):
        return "small"
    if _LARGE_WORDING.search(text):
        return "large"
    if _MEDIUM_WORDING.search(text):
        return "medium"
    return None


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION.search(text[max(0, start - 3) : start]))


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return tuple(seen)


def _cue_in(word: str, norm: str, squashed: str) -> bool:
    if word.isascii() and word.isalpha():
        return bool(re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", norm))
    return word in squashed or word in norm


def _customer_name(norm: str, raw: str) -> str | None:
    m = _CUSTOMER_NAME.search(norm)
    if m:
        name = m.group("name")
        if name not in {"什么", "啥", "啥名", "什么名字"}:
            # Keep the user's own casing for Latin letters.
            start = norm.find(name)
            return _original_span(raw, norm, start, len(name)) or name
    m = _COMPANY_NAME.search(norm)
    if m and re.search(r"客户|叫|是", norm[: m.start() + 1] or norm):
        return m.group("name")
    m = _STANDALONE_NAME.search(norm)
    if m:
        return m.group("name")
    return None


def _original_span(raw: str, norm: str, start: int, length: int) -> str | None:
    candidate = normalize(raw)
    if candidate == norm:
        # normalize() only lower-cases and folds width: find the same span case-insensitively.
        lowered = raw.lower()
        idx = lowered.find(norm[start : start + length])
        if idx >= 0:
            return raw[idx : idx + length]
    return None


def _number_slots(text: str, numbers: Sequence[NumberMention]) -> dict[str, str | int | Decimal]:
    out: dict[str, str | int | Decimal] = {}
    last_money_end = 0
    for n in numbers:
        # Context: this clause only, and nothing before the previous money figure
        # ("每小时损失2万，订单30万": the order amount does not see "每小时").
        start = max(0, n.start - 12, last_money_end)
        before = _CLAUSE_BREAK.split(text[start : n.start])[-1]
        after = _CLAUSE_BREAK.split(text[n.end : n.end + 8])[0]
        if n.is_money:
            last_money_end = n.end
        if n.unit in ("小时", "个小时", "钟头", "h", "hour", "hours", "hrs"):
            rate = re.match(r"\s*(?:的)?\s*(?:损失|亏|成本|影响|要亏|就亏|少赚)", after) or re.search(r"每\s*$", before)
            if rate or (n.value <= 1 and not _MONTH.search(before)):
                continue
            if _YEAR.search(before) and not _MONTH.search(before):
                out["downtime_hours_per_month"] = (n.value / 12).quantize(Decimal("0.01")).normalize()
            elif _MONTH.search(before) or _DOWNTIME.search(before + after):
                out["downtime_hours_per_month"] = n.value
            continue
        if _MEASURE_AFTER.match(text[n.end : n.end + 3]) and not n.currency:
            continue
        if n.is_money:
            if _NOT_SALES.match(after):
                continue
            if _PER_HOUR.search(before) or _PER_HOUR_AFTER.match(after):
                out["downtime_cost_per_hour"] = n.value
            elif _LABOUR.search(before):
                value = n.value
                if _YEAR.search(before) and not _MONTH.search(before):
                    value = (value / 12).quantize(Decimal("0.01")).normalize()
                out["labour_cost_per_month"] = value
            elif _DOWNTIME.search(before) and re.search(r"损失|亏", before + after):
                continue
            else:
                out.setdefault("amount", n.value)
            continue
        is_device = (
            n.unit in ("台", "套")
            or _DEVICE_NOUN.match(text[n.end - len(n.unit) : n.end + 6])
            or (n.unit == "个" and _DEVICE_BEFORE.search(before))
        )
        if is_device and n.value >= 2 and n.value == n.value.to_integral_value():
            out["device_count"] = int(n.value)
    return out
