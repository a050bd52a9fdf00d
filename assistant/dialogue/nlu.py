"""Natural-language understanding: one utterance -> intent + canonical slots.

Deterministic and fast (about 1 ms an utterance without the sentence encoder,
plus one encoder call with it):

* slots follow the conventions of ``eval/data/README.md`` ("only what this text
  states, every time it states it"): dictionaries generated from the corpus
  (:mod:`lexicon`), number patterns (:mod:`numbers`) and a few context rules (a
  money figure after "每小时" is a downtime cost, after "人工" a labour cost; a
  value right after "不是" is the one being corrected away; the first-named
  product unless it is one of alternatives, which give their line);
* the intent comes from a softmax classifier over character n-grams of the
  utterance with its entities masked ("vb500电池" -> "Ⓟ电池"), jieba words and
  flags: entity mentions, cue words and patterns (:mod:`cues`: asking for a
  person now vs asking how support works, one's own rebate figures vs the rules,
  everyday off-topic words, how-to wording), how domain-specific the words are (corpus
  frequency against jieba's general dictionary), how well the product's parameter rows
  or the corpus's FAQ phrasings and fault symptoms match (:mod:`prototypes`), and
  whether the text names a word of the product's own parameter values ("北斗", "docker").
  With a sentence encoder a second model over sentence vectors is mixed in
  (``DENSE_MIX``), unless the word model is already sure of an intent whose answer
  does not encode the text anyway (``DENSE_SKIP_CONFIDENCE``).  An utterance with
  nothing of ours in it -- no product, line, competitor, customer fact, domain word
  or task cue, and no conversation before it -- is out of scope.

Training uses the seed phrases in :mod:`seeds`, phrases generated from the corpus
(:mod:`synthetic`, weighted down: FAQ questions, fault symptoms, parameter rows and
"does <product> have <value>" capability questions) and the labelled examples passed in (only
dev-split items: see ``eval/chat.py``).  It runs once per process for the same
inputs and, with ``cache_dir``, once per machine: the weights are stored keyed by
a hash of everything training depends on (:mod:`nlu_cache`).  Options were chosen by 5-fold
cross-validation on dev (``python -m eval chat --split dev --cv 5``) together with a
hand-written holdout set that never trains (``--holdout eval/data/holdout/utterances.yaml``).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from assistant.content.loader import Corpus
from assistant.dialogue import cues as cue_patterns
from assistant.dialogue import nlu_cache
from assistant.dialogue.classifier import DenseIntentModel, IntentClassifier, TrainingExample
from assistant.dialogue.cues import (
    DEPARTMENT_PERSONAS,
    EXTRA_INDUSTRY_WORDS,
    EXTRA_PERSONA_WORDS,
    EXTRA_REGION_WORDS,
    EXTRA_SCALE_WORDS,
    GENERIC_TITLES,
)
from assistant.dialogue.errors import EmptyUtteranceError, UtteranceTooLongError
from assistant.dialogue.lexicon import (
    BACK_REFERENCE_TITLES,
    FACILITY_WORDS,
    FLEET_MACHINES,
    NOT_INDUSTRY,
    NOT_PERSONA,
    PERSONA_CUES,
    TRADES,
    AliasTable,
    Lexicon,
    find_all,
    squash,
)
from assistant.dialogue.numbers import (
    CORRECTED_AWAY,
    MIN_BARE_MONEY,
    NumberMention,
    find_numbers,
    find_quarter,
    is_bare_sales,
    parse_plain_number,
)
from assistant.dialogue.prototypes import Prototypes, bigrams
from assistant.dialogue.rewrites import rewrite
from assistant.dialogue.roi import MONTHS_PER_YEAR
from assistant.dialogue.seeds import SEEDS, SEEDS_EXTRA, SEEDS_MORE, shipped_utterances
from assistant.dialogue.synthetic import corpus_phrases, value_phrases
from assistant.dialogue.types import INTENTS, CustomerProfile, Intent, Slots, Understanding
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.tokenizer import Tokenizer, UserDictionary, normalize

log = logging.getLogger(__name__)

MAX_UTTERANCE_CHARS = 2000
# Chosen by 5-fold cross-validation on the dev split (``python -m eval chat --split dev --cv 5``):
# the weight of a corpus-generated phrase relative to a written one; the share of the
# sentence-vector model in the intent probabilities and its regularisation; the sparse
# model's options.  UNANCHORED_IS_OFF_TOPIC turns the no-domain-anchor rule on.
CORPUS_PHRASE_WEIGHT = 0.2
# Generated "does <product> have <a value of its table>" phrases (synthetic.value_phrases), which
# teach the sparse model that such capability questions are parameter questions; the sentence
# vector model does not train on these templates (DENSE_VALUE_PHRASES).  Chosen on dev 5-fold CV
# together with the hand-written holdout set (``--holdout eval/data/holdout/utterances.yaml``).
VALUE_PHRASE_WEIGHT = 0.05
DENSE_VALUE_PHRASES = False
DENSE_MIX = 0.35
DENSE_C = 10.0
# The sentence-vector model is skipped (no encoder call, about 2 ms) when the sparse model
# gives at least this probability to an intent whose answer does not encode the text anyway
# (DENSE_FREE_INTENTS).  On the 430 holdout utterances no decision changed at any threshold
# from 0.6 to 0.95; at 0.7 a third of them skip, and so do about a third of eval load's turns.
DENSE_SKIP_CONFIDENCE = 0.7
# Knowledge and parameter answers retrieve with the same sentence vector (DialogueEngine.
# _knowledge), so for them the mix costs nothing extra and always runs.
DENSE_FREE_INTENTS = frozenset(INTENTS) - {"knowledge_qa", "product_params"}
UNANCHORED_IS_OFF_TOPIC = True
CLASSIFIER_OPTIONS: dict[str, Any] = {"l2": 1e-4, "steps": 1500, "learning_rate": 8.0, "group_weights": {}}
CURRENT_YEAR = 2026

_NEGATION = re.compile(r"(?:不是|而非|并非|并不是|不算|不在)$")
# Asking for a course or training material.
_COURSE = re.compile(r"课|培训|教程|学习资料")
# Wording that sets a competitor against us ("比锐拓的贵多少", "跟博远比优势在哪").
_VERSUS_OURS = re.compile(r"比|优势|劣势|差多少|差在|便宜|贵|强在|好在")
# A figure right after "不是" (not "是不是": a question) is the one being corrected away.
# "两三百", "五六十": a range of two digits, read as its lower end.
_APPROX_PAIR = re.compile(r"(?:一二|两三|二三|三四|三五|四五|五六|六七|七八|八九)(?=[十百千万])")
_PRONOUN = re.compile(r"(?:^|[，,\s])(?:它|它的|这个|这款|这台|那个|那款|该型号|这个型号|这型号)")


# Words that put a number in a slot.
_PER_HOUR = re.compile(r"(?:每|一|1|/|每个|一个)\s*(?:小时|h|钟头|钟)|(?:小时|钟头)\s*(?:损失|亏|成本|影响)")
_PER_HOUR_AFTER = re.compile(r"^\s*(?:每|/|一)\s*(?:个)?\s*(?:小时|h|钟头)")
_HOUR_UNITS = ("小时", "个小时", "钟头", "h", "hour", "hours", "hrs")
# "年产值两个亿": the customer's yearly output, a size (not an order amount).
_REVENUE_BEFORE = re.compile(r"(?:产值|营收|营业额|销售额|年收入|年销售)[^，,。；;]{0,3}$")
# Revenue bands of the national size standard for industrial firms (统计上大中小微型企业划分办法):
# under 2000万 small, 2000万 to 4亿 medium, 4亿 and more large.
_REVENUE_MEDIUM_FROM = Decimal(20_000_000)
_REVENUE_LARGE_FROM = Decimal(400_000_000)
# A site word ("冷库") names the customer's trade only when the customer is one.
_IS_THE_CUSTOMER = re.compile(r"(?:一个|一家|个|家|是|做|搞|开|干)$")
_FACILITY_AS_TRADE_AFTER = re.compile(r"(?:厂|公司|企业|集团|的)")
# A loss stated per hour ("每小时损失5000"): the figure after it is yuan even without "元".
_LOSS_WORD = re.compile(r"损失|亏|少赚|少挣")
_LABOUR = re.compile(r"人工|人力|工资|人员|薪|班组|巡检|工人|人头|差旅|出差|抄表|抄录|巡井|巡线|值守|人干")
# The whole wage bill ("全厂工资总额一年一个多亿"): not the manual work a product saves.
_PAYROLL = re.compile(r"工资总额|总工资|全厂工资|工资总")
_MONTH = re.compile(r"每月|每个月|一个月|1个月|月均|/月|一月|月度|月")
_YEAR = re.compile(r"每年|一年|年均|/年|全年")
# A year named further back in the clause ("去年因为设备故障非计划停车一百三十个小时").
_YEAR_WIDE = re.compile(r"去年|每年|一年|全年|年报|年均")
# Hours that are no unplanned stop: running, planned maintenance, around-the-clock production.
_NOT_DOWNTIME_BEFORE = re.compile(r"运行|运转|开机|(?<!非)计划(?!外)|续航|响应|到场|连续")
_NOT_DOWNTIME_AFTER = re.compile(r"^\s*(?:连续|不停|运转|运行|开机|生产|倒班)")
# A fee per hour is no loss per hour ("外包维修师傅一小时八十块").
_FEE_BEFORE = re.compile(r"师傅|工程师|工时|上门|电费|度电|维修费|服务费")
# Another plant's or a rival's figures ("隔壁厂用的博远 装了四百多个传感器").
_OTHER_PLANT = re.compile(r"隔壁|别的厂|别家厂|人家厂|同行")
# A figure taken back ("之前说的三百台不算数了").
_TAKEN_BACK_AFTER = re.compile(r"^\s*(?:不算数|不算了|不作数|作废)")
# A figure restated after a slip: it replaces the one said before ("80台 不对 是86台",
# "先说3万 后来改口说2万", "一百五十口 刚才语音听错了 是两百五十口").
_RESTATED_BEFORE = re.compile(r"(?:不对|说错了?|搞错了?|听错了?|改口说?|纠正了?|更正|应该是|哦不)[^\d，,。？?]{0,10}$")
# One device at each of the sites just counted: "一站一台", "每个配电房放一台", "一台装一个".
_ONE_EACH_AFTER = re.compile(
    r"^[\u4e00-\u9fff]{1,6}\s*(?:一[\u4e00-\u9fff]{1,2}一(?:台|套|个)|每(?:个|一个)?[\u4e00-\u9fff]{0,6}(?:放|装|配|上)一(?:台|套|个)"
    r"|一台装一个|各(?:放|装|配)?一(?:台|套))"
)
# What makes an hour the unit of a rate: a loss right after it ("停一个小时损失九千").
_RATE_AFTER_HOURS = re.compile(
    r"\s*(?:的)?\s*(?:损失|亏|成本|影响|要亏|就亏|少赚|少产|少挣|少卖|耽误|赔)(?!多少|是多少|几)"
)
# A figure the caller worked out and asks to check ("基线我自己算出来210万 对不对").
_COMPUTED_BEFORE = re.compile(r"(?:算出来|算出|算得|算下来|算的是|我算)[^\d，,。？?]{0,3}$")
# A total named as such ("十一个加压泵站 泵一共56台"): it is the count meant.
_TOTAL_BEFORE = re.compile(r"(?:一共|总共|合计|总计|加起来|加一块儿?)[^\d，,。？?]{0,2}$")
_DOWNTIME = re.compile(r"停机|停线|宕机|停产|故障|停")
_NOT_SALES = re.compile(r"^(?:的)?(?:补贴|奖励)|^的(?:返利|返点|激励)")
# A figure right after a subsidy or a rebate names that payment, not a sale ("满意度补贴那2w").
_PAYMENT_BEFORE = re.compile(r"(?:补贴|奖励|返利|返点|激励)(?:那|是|有|的|共|一共)?\s*$")
_MEASURE_AFTER = re.compile(
    r"^(?:点|条|米|秒|年|度|伏|瓦|寸|路|口|位|次|种|倍|号|岁|分钟|分|斤|公里|平|家|支|个点|吨|方|立方|升|亩|千瓦|"
    r"ms|us|mm|m|g|kg|kw|t(?![a-z]))"
)
_DEVICE_KINDS = r"(?:设备|机台|机器|电机|泵|测点|点位|传感器|席位|账号|终端)"
_DEVICE_NOUN = re.compile(rf"^\s*(?:台|套)|^\s*个\s*{_DEVICE_KINDS}")
# "30个测点", "六十来个无线振动传感器": the number's own span ends with the measure word.
_DEVICE_KIND = re.compile(rf"^\s*[\u4e00-\u9fff]{{0,4}}?(?<!的){_DEVICE_KINDS}")
# Points counted as installed, not as a capacity: "先装30个点", "第一期60个点".
_INSTALLED = re.compile(r"(?:装|上|接入|覆盖|第一期|一期|首期|第一批|首批)\s*$")
# Meters counted in 块 ("一百二十块表", "电表三百来块"): so many meters, not so many yuan.
_METERS = "电表|水表|气表"
_METER_AFTER = re.compile(rf"^\s*(?:{_METERS}|表)")
_METER_BEFORE = re.compile(rf"(?:{_METERS}|计量表|表计)[^，,。？?]{{0,6}}$")
# Wells counted in 口 ("三百来口抽油机井", "先装八十口井"): the wells to be connected.
_WELLS_AFTER = re.compile(r"^\s*口\s*[\u4e00-\u9fff]{0,4}?(?:井|缸|罐|釜)")
# Vessels counted after their noun ("染缸八十口", "井口一百五十口"), points in 路 ("测点要上240路").
_VESSELS_BEFORE = re.compile(r"(?:井|缸|罐|釜)[^\d，,。？?]{0,3}$")
_POINTS_BEFORE = re.compile(r"(?:测点|点位|通道)[^\d，,。？?]{0,3}$")
_DEVICE_BEFORE = re.compile(r"(?:测点|点位|设备|传感器|机台|泵|电机|风机)\s*(?:就|只有|大概|差不多|一共|总共)?\s*$")
_CUSTOMER_NAME = re.compile(
    r"(?:客户|公司|厂子?|对方|那家|这家)?\s*(?:叫|名叫|名字叫|名字是|名称是)\s*"
    r"(?P<name>[\u4e00-\u9fffA-Za-z0-9]{2,20}?)(?=$|[，,。.!！？?\s]|的|吧|啊|呀|哈|他们|它们)"
)
# A company name typed on its own between spaces: "华东一家中型食品厂 鲜丰食品 采购经理".
_STANDALONE_NAME = re.compile(
    r"(?:^|\s)是?(?P<name>[\u4e00-\u9fff]{2,4}(?:食品|科技|精密|机械|电子|制药|化工|水务|纺织|物流|集团|股份|实业|能源))(?=\s|$)"
)
# "客户是恒发", "客户是顺德的恒发 做铝型材的": a short name said to be the customer, set off by a
# space or a comma; what it may not be (a contact, a trade, a size) is checked by the caller.
_CUSTOMER_IS = re.compile(
    r"客户(?:是|就是|叫做)(?:(?P<place>[\u4e00-\u9fff]{2,4})的)?(?P<name>[\u4e00-\u9fff]{2,4}|[A-Za-z]{2,6})(?=$|[，,。；;\s])"
)
# A symptom, not a name: "炒锅电机老烧", "液压站老出毛病" set off like a name.
_SYMPTOM_IN_NAME = re.compile(r"老(?:是|烧|坏|出|掉|停|断|漏|跳|报|卡)|烧了|坏了|故障|毛病|报警|掉线|不准|漏水|漏气")
# Where something is installed, not whose it is: "装在轧机齿轮箱上".
_PLACED_IN = re.compile(r"(?:装|放|挂|用|接|加)在$")
# "不是永泰化工", "而不是华芯": a name being corrected away.
_NEGATED_NAME = re.compile(r"(?:不是|并非|而非)[\u4e00-\u9fffA-Za-z0-9]{2,12}")
# "做工程机械的": what the customer makes, not its name.
_TRADE_VERB = re.compile(r"(?:做|搞|干|生产|制造|造)")
_TRADE_VERB_BEFORE = re.compile(r"(?:做|搞|干|生产|制造)$")
# A maker of machines ("做矿山破碎机的", "做小水泵的", "生产减速机的"): machinery (batch P7 rule).
_MAKES_MACHINES = re.compile(
    r"(?:做|生产|制造|造)[\u4e00-\u9fff]{0,4}?(?:水泵|泵|阀门|阀|破碎机|机床|电机|轴承|齿轮|减速机|压缩机|风机|机械)(?:的|厂)"
)
_NOT_A_NAME = re.compile(r"^(?:个|人|一|几|我|你|他|她|它|专家|工程师|技术|现场|售前|售后|客服)")
# "叫" also means calling someone ("怎么叫原厂远程专家"): a role is not a name.
_A_ROLE = re.compile(r"(?:专家|工程师|技术支持|技术|客服|人工|售后|售前|师傅|同事|经理)$")
# ... or a person called for a job: "想叫原厂工程师来现场调试".
_A_ROLE_CALLED = re.compile(r"(?:专家|工程师|技术支持|客服|人工|售后|售前|师傅|同事|经理)(?:来|过来|去|上门|到|帮)")
# A company under a group named just before it ("川渝能源集团下面的青白江热电"); a branch named
# only by what or where it is ("下面的压缩机分公司") is the group's.
_SUBSIDIARY = re.compile(r"(?:下面的|旗下的|下属的)(?P<name>[\u4e00-\u9fff]{2,10}?)(?=$|[\s，,。；;]|他们)")
_A_BRANCH = re.compile(r"(?:分公司|分厂|分部|车间|工厂|厂区|基地)$|^(?:一个|那个|这个)")
# Said in place of a name not remembered or withheld ("名字叫啥来着", "山西某某重型机械集团").
_PLACEHOLDER_NAME = re.compile(r"啥|什么|来着|某某")
# The registered tail of a name: "…有限责任公司", "…集团下面的", "…技术有限公司".
_REGISTERED_TAIL = re.compile(
    r"(?:集团)?(?:技术|科技)?(?:股份有限公司|有限责任公司|有限公司|股份公司)"
    r"|集团(?:公司)?(?=$|[^\u4e00-\u9fff]|下面|下属|旗下|的)"
)
_NAME_SUFFIX = re.compile(
    r"(?:有限公司|股份公司|集团|科技|精密|机械|电子|制药|化工|水务|食品|纺织|物流|股份|实业|能源)(?:有限公司)?$"
)
_SUFFIXES = "|".join(sorted(cue_patterns.COMPANY_SUFFIXES, key=len, reverse=True))
_LOOSE_SUFFIX = re.compile(rf"(?:{_SUFFIXES})(?:股份有限公司|有限公司|公司)?$")
_LOOSE_COMPANY = re.compile(
    r"(?P<name>(?:(?![的是在个给去说跟和与对帮推找要想做有我你他她这那们了吧吗呢啊就都还也把被让从向往到见讲问"
    r"多少几台接上下最荐嘛买先点时候家叫属于边])"
    rf"[\u4e00-\u9fff]){{2,6}}?(?:{_SUFFIXES})(?:{_SUFFIXES})?(?:股份有限公司|有限公司|公司)?"
    rf"|(?<![a-z])[a-z]{{2,6}}(?:{_SUFFIXES}))"  # "KTC精密", "zk机械"
    r"(?!厂(?!长)|园|区|产业园)"  # ("恒力精密厂长": the plant manager of 恒力精密)
)
# A name said before what the company makes or where it works: "株洲恒力机电 做轨交配件的",
# "嘉陵华科 做摩托车件的", "宜宾川南能投的电厂".
_NAMED_BY_TRADE = re.compile(
    r"(?:^|\s)(?P<name>(?:(?![的是在个给去说跟和与对帮推找要想做有我你他她这那们了吧吗呢啊就都还也把被让从向往到见讲问"
    r"多少几台接上下最荐嘛买先点时候家一])[\u4e00-\u9fff]){4,8}?)"
    r"(?:\s*(?:是做|专做|做|搞|生产)[\u4e00-\u9fff]{1,8}的|的(?:电厂|工厂|厂区|车间|项目|基地|电站|矿|园区))"
)
# A short name set off after what the company makes: "晋江陈埭做运动鞋的 鸿兴".
_NAME_SET_OFF_AFTER_TRADE = re.compile(
    # (not a head count: "做小水泵的 七十来人")
    r"(?:做|搞|生产)[\u4e00-\u9fffA-Za-z]{1,10}的\s+(?P<name>(?![一二两三四五六七八九十百千万几])[\u4e00-\u9fff]{2,4})"
    r"(?<!人)(?=$|[\s，,。；;])"
)
# "名字打错了 是晋泰源": the customer's name corrected.
_NAME_CORRECTED = re.compile(
    # (□: a name said not to be it, masked: "名字说错了 不是精轧 是冀东特轧")
    r"(?:(?:名字|名称|厂名|公司名|名)[^，,。；;\s]{0,3}(?:错|不对)|(?:打|写|记)错)了?[\s，,。□]*(?:是|叫|应该是|应该叫)"
    r"(?P<name>[\u4e00-\u9fffA-Za-z0-9]{2,8}?)(?=$|[\s，,。；;]|的)"
    # "宁波做小家电的华美 不对 是华梅", "叫彩域，哦不对不对，是彩誉", "荣盛纸业，哦我打错字，是荣胜纸业"
    r"|(?:不对|打错字?了?|说错了?)(?:不对)*[\s，,。□]*(?:是|叫)(?P<said>[\u4e00-\u9fffA-Za-z]{2,6}?)"
    r"(?=$|[\s，,。；;]|打错|说错|语音)"
    # "改下 顺达 不是顺安": the new name, the old one said not to be it (masked: □)
    r"|(?:改下|改一下)[\s，,。]*(?:是|叫|成)?(?P<renamed>[\u4e00-\u9fffA-Za-z]{2,6}?)(?=$|[\s，,。；;]*□)"
)
# A short name right after what the company makes ("瑞安做泵阀的华力"), after its town and "的"
# ("柯桥的永盛 搞印染的"), or before "那边" ("去了同发那边"), set off by a space or a comma.
_NAME_AFTER_TRADE = re.compile(
    r"(?:做|搞|生产|干)[\u4e00-\u9fff]{1,6}?的(?P<name>[\u4e00-\u9fff]{2,4})(?=$|[\s，,。；;]|他们)"
)
_NAME_AFTER_PLACE = re.compile(
    r"(?:[\u4e00-\u9fff]{2,3}?)?的(?P<name>[\u4e00-\u9fff]{2,4}?|[a-z]{2,6})(?=$|[\s，,。；;]|出来|回来|那边|那儿|那里)"
)
# Words right before a trade ("洛阳那家做轴承的宏业") that leave the name after it a name.
_ONE_OF = frozenset({"那家", "那个", "那间", "一家", "一个", "有家", "有个", "这家", "这个", "就是"})
# "唐山古冶那个冀丰 炼钢的": a short name right after 那个/那家/那间, set off after it.
_NAME_AFTER_THAT = re.compile(r"(?:那个|那家|那间)(?P<name>[\u4e00-\u9fff]{2,4})(?=[啊呀嘛哈]?(?:$|[\s，,。；;]))")
# A word opening the message before the trade or 那个: a town or district no table may hold.
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}")
_NAME_THERE = re.compile(
    r"(?:(?:去了?|到了?|跑了?)趟?|^|(?<=[\s，,。]))(?P<name>[\u4e00-\u9fffA-Za-z]{2,4}?)(?:那边|那儿|那里)(?!的)"
)
# "青山那边的华冶精整", "华油兴业的刘总": a name after "那边的", or before a person named by title.
_NAME_THERE_OF = re.compile(r"那边的(?P<name>[\u4e00-\u9fff]{2,6}?)(?=$|[\s，,。；;])")
_NAME_OF_PERSON = re.compile(
    r"(?:^|(?<=[\s，,。]))(?P<name>[\u4e00-\u9fff]{2,6}?)的[\u4e00-\u9fff]?(?:总|工|经理|主任|处长|科长|部长|厂长)"
)
# A place visited ("刚从金鼎出来", "在华润那边", "拜访了金鼎") and a contact's company
# ("跟宏达的老板吃了个饭", "见了永兴的采购"): the words between are the name, if they are one.
_NAME_VISITED = re.compile(
    r"(?:从|在)(?P<name>[\u4e00-\u9fffA-Za-z]{2,6}?)(?:出来|回来|那边|那儿|那里|那(?=$|[\s，,。]))"
    r"|(?:去了?|到了?)(?P<visited>[\u4e00-\u9fffA-Za-z]{2,6}?)(?:那边|那儿|那里)"
    r"|拜访了?(?P<called>[\u4e00-\u9fffA-Za-z]{2,6}?)(?=$|[\s，,。])"
)
_NAME_OF_CONTACT = re.compile(
    r"(?:^|(?<=[\s，,。跟和给])|见了?)(?P<name>(?:(?![跟和给见])[\u4e00-\u9fffA-Za-z]){2,6}?)的(?P<role>[\u4e00-\u9fff]{2,4})"
)
# A name that opens the message, then its town or trade: "禾香斋 嘉兴做粽子的", "陕燃管道 西安的".
_NAME_FIRST = re.compile(r"^(?P<name>[\u4e00-\u9fff]{2,6})\s+(?P<rest>\S+)")
# What such a short name may not be: a kind of site or company, a machine ("轧机那边"), or an
# everyday word (jieba's general dictionary counts names rarely; "展会", "天气" often).
_NOT_A_SHORT_NAME = re.compile(
    r"(?:厂|企业|公司|工厂|单位|同行|朋友|人|家|边|里|机|箱|炉|罐|线|泵|阀)$"
    r"|案例|案列|方案|话术|资料"
)
_MAX_NAME_FREQUENCY = 150
_SCENE_NAME = re.compile(r"(?<=\s)(?P<name>[\u4e00-\u9fff]{3,6})(?=\s|$)")
# After a city: a name of 2-6 characters, then the kind of site or "的" and the contact.
_AFTER_CITY = re.compile(r"(?P<name>[\u4e00-\u9fff]{2,6}?)(?:园区|大厦|广场|中心|医院|集团|公司|(?P<role>的))")
_A_KIND_OF = re.compile(r"^(?:一|某|这|那|几|哪)")  # "上海一家生物药企": a kind of company, no name
_AFTER_CITY_BARE = re.compile(r"(?P<name>[\u4e00-\u9fff]{3,6})(?=\s|$|[，,。；;])")
_CLAUSE_MARKS = "，,。；;：:！!？?、"
# Words right before a registered name that introduce it, never part of it: "全称是…", "客户…", a
# visit ("今天去了冀药制药股份有限公司", "刚跟…开完会"), a rename ("帮我把客户名改成宁波永佳模具有限公司").
_BEFORE_REGISTERED: tuple[str, ...] = ("的", "是", "叫", "为", "客户", "全称", "名称", "名字", "公司", "这家", "那家")
_BEFORE_REGISTERED += ("去了", "跟", "见了", "拜访了", "拜访", "到了", "走访了", "改成", "换成", "改为")
# The person a salesperson talks to comes after these ("跟点检班的师傅聊", "给他们IT讲").
_ADDRESSED = re.compile(r"(?:跟|给|见|拜访|约)[^跟给见约]{0,4}$")
_NOT_ADDRESSED = re.compile(r"(?:不跟|不给|别跟|别给|不用跟|不再跟|不是)[^跟给，,。]{0,4}$")
_SWITCHED_TO = re.compile(r"(?:换成|换了|改成|接手(?:这个事)?的是|现在是|现在对接|新来的|调来)[^，,。换改]{0,8}$")
# Words a name may follow without a space: "客户宁波恒瑞注塑", "是青峰化工".
_BEFORE_A_NAME = ("客户", "是")


def _addressed(text: str, start: int) -> bool:
    """The role starting at ``start`` is the one talked to ("跟点检班的师傅聊")."""
    return bool(_ADDRESSED.search(_CLAUSE_BREAK.split(text[max(0, start - 6) : start])[-1]))


def _switched_to(text: str, start: int) -> bool:
    """The role starting at ``start`` is who the contact changed to ("现在换成采购部老吴了")."""
    return bool(_SWITCHED_TO.search(text[max(0, start - 12) : start]))


def _starts_with_persona(rest: str) -> bool:
    return any(rest.startswith(w) for words in PERSONA_CUES.values() for w in words)


_SCENE_PLACE = ("厂", "仓库", "库", "楼", "的", "公司", "电站", "矿", "园区", "产业园", "基地", "项目", "企业", "车间")
# Words no bare name has: function words, sizes and talk about the deal ("规模不大", "下周要来").
_NOT_IN_A_NAME = re.compile(
    r"[的是在个给去说跟和与对帮推找要想做有我你他她这那们了吧吗呢啊就都还也把被让从向往到见讲问多少几台接上下最嘛买先时候不没很挺太]"
    r"|[一二两三四五六七八九十百千万\d]+[块台套张条栋间只]"  # "一百二十块表", "八条线": a count
    r"|规模|大型|中型|小型|左右|差不多|一般|预算|大概|目前|现在|已经|准备|打算|计划|比较|客户|老板|项目"
)
_COMPANY_NAME = re.compile(
    r"(?P<name>(?![是叫])[\u4e00-\u9fffA-Za-z]{2,12}(?:有限公司|股份公司|集团|科技|精密|机械|电子|制药|化工|水务|食品|纺织|物流)"
    r"(?:有限公司)?)"
)

# A bare model number said as a switch ("那换成300呢", "换500的"): a sibling of the current product.
_SWITCH_TO_NUMBER = re.compile(r"(?:换成|换到|改成|换|那|要是)\s*(?P<num>\d{3,4})(?=$|\s|[的呢吗呀啊，,？?])")
# A kind of company asked about, not a name: "有没有食品厂…", "是不是化工…".
_ASKED_KIND = re.compile(r"有没有|有无|是不是|哪家|哪个|什么")
_GENERIC_PARAM_WORDS = frozenset({"时间", "方式", "范围", "数量", "类型", "支持", "最大", "最小", "功能", "能力"})
_ALTERNATIVE_JOINERS = frozenset({"还是", "跟", "和", "与", "或", "或者", "vs", "、", "，", ",", "/", "还是说"})
# A product name after another company's name is theirs ("视界通的防爆平板", "别家的基站").
_FOREIGN = re.compile(r"(?:\u25a1|别家|别人家|其他家|其它家|友商|人家|竞品|对手|同行)(?:的|家的|家)?$")
# A line word after "别家的" is theirs; after a competitor's name it still names the line we sell
# against ("锐拓交换机更便宜": CM).
_SOMEONE_ELSES = re.compile(r"(?:别家|别人家|其他家|其它家|友商|人家|竞品|对手|同行)(?:的|家的|家)?$")
_ALL_NUMBER_SLOTS = frozenset(
    {"amount", "device_count", "downtime_hours_per_month", "downtime_cost_per_hour", "labour_cost_per_month"}
)
# The number slots each intent reads: a figure in a parameter question is a spec, not a deal size.
_NUMBER_SLOTS: dict[str, frozenset[str]] = {
    "knowledge_qa": frozenset({"device_count"}),
    "product_params": frozenset(),
    "handoff_request": frozenset(),
    "rebate_query": frozenset({"amount"}),
}
_CUSTOMER_DEVICES = re.compile(
    r"(?:客户|他们|厂里|对方|现场|车间|工厂|那边|库里|线上|一共|总共)[^，,。？?]{0,10}?"
    r"(?:\d+|[一二两三四五六七八九十百千]+)\s*(?:来|多)?\s*(?:台|套|副|个)"
)
_FLEET = "|".join(map(re.escape, FLEET_MACHINES))
# So many of the customer's machines: "二十个发酵罐", "一百二十台平车".
_FLEET_AFTER = re.compile(rf"^\s*(?:{_FLEET})")
_FLEET_COUNTED = re.compile(rf"(?:\d+|[一二两三四五六七八九十百千]+)\s*(?:来|多)?\s*(?:台|套|个)\s*(?:{_FLEET})")
# The customer's fleet counted by its machines: "cnc九十来台 选2100还是3200", "磨床大概48台".
_FLEET_COUNT = re.compile(
    rf"(?:{_FLEET})[^，,。？?\s]{{0,4}}?"
    r"(?:\d+|[一二两三四五六七八九十百千]+)\s*(?:来|多)?\s*(?:台|套)"
)
# The customer's meters counted beside a spec question: "电表估计要六十块 ems模块一个授权够不".
_METERS_COUNTED = re.compile(
    rf"(?:{_METERS})[^，,。？?]{{0,6}}?(?:\d+|[一二两三四五六七八九十百千]+)\s*(?:来|多)?\s*块"
    rf"|(?:\d+|[一二两三四五六七八九十百千]+)\s*(?:来|多)?\s*块\s*(?:{_METERS}|表)"
)
# Pay or cost words right after a job title ("运维人员工资", "巡检员的人工成本").
_PAY_AFTER_ROLE = re.compile(r"(?:的)?(?:工资|人工|薪资|薪水|薪酬|人力成本|成本|开支)")
_COUNTED_BEFORE = re.compile(r"(?:\d+|[一二两三四五六七八九十百千万几]+)(?:多|来|余)?(?:个|名|号)$")
# An order of so many units ("要30台eg3200", "ec700r要3套", "打算买20套", "先装六十来个无线振动
# 传感器"): the customer's count.
_ORDER_QUANTITY = re.compile(
    r"(?:要|买|订|订购|采购|下单|上|装|换)\s*(?:\d+|[一二两三四五六七八九十百]+)\s*(?:来|多)?\s*"
    rf"(?:台|套|副|个(?=$|[\s，,。；;！!？?a-z]|[\u4e00-\u9fff]{{0,4}}?{_DEVICE_KINDS}))"
)
_ORDER_BEFORE = re.compile(r"(?:要|买|订|订购|采购|下单)\s*$")
# The order's sum named as such, whatever else is asked ("这个项目金额估计三百二十万 … 特价怎么申请").
_ORDER_AMOUNT = re.compile(
    r"(?:项目金额|合同金额|订单金额|合同额|项目预算)[^，,。？?\d]{0,4}(?:\d|[一二两三四五六七八九十百千])"
)
_REPORTED = re.compile(r"^(?:说|讲|反映|反馈|讲的|说的)")
# A count said to be of something else: "56台只是一个厂的", "三十四台是门机加场桥一起的".
_COUNT_EXPLAINED_AWAY = re.compile(r"(?:只是|是)[^，,。；;\s]{1,10}(?:的|一起的|加起来的|总数)(?=$|[\s，,。；;])")
_CLAUSE_BREAK = re.compile(r"[，,。；;！!？?、]")
_SMALL_WORDING = re.compile(r"小(?:厂|企业|公司|项目|站|工厂|作坊)|人很少|人不多|几十个?人|就几个人")
# (not the hundreds of a larger count: "一千五百人" is large, by _scale_from_headcount)
_MEDIUM_WORDING = re.compile(
    r"(?<![千万])[几一二三四五六七八九两]百(?:多|来)?个?人|(?<![千万几一二三四五六七八九两\d])百来人"
)
_LARGE_WORDING = re.compile(r"上千人|几千人|[一二三四五六七八九两]千(?:多)?个?人|上万人")
# A head count ("三百来号人", "1200多人", "员工五百多"): under 100 small, under 1000 medium, else large.
_HEADCOUNT = re.compile(
    r"(?P<num>\d+|[一二两三四五六七八九十百千万几]+)(?:多|来|余)?(?:个|号)?(?:人|员工|职工|工人)"
    r"|(?:员工|职工|人数|总人数)(?:有|大概|大约|约|差不多|将近)?(?P<num2>\d+|[一二两三四五六七八九十百千万几]+)"
    # "王厂长 人四百出头", "人估计三四百", "人八十来个": the people named first (not 工人, 每人 ...)
    r"|(?<![工个客责系接家别本主病老好众每])人(?:估计|大概|大约|约|差不多|将近|有)?"
    r"(?P<num3>\d+|[一二两三四五六七八九十百千万几]+)"
)
# A crew rather than the company ("巡检班组5个人", "运维就两个人").
_CREW_BEFORE = re.compile(r"(?:班组?|巡检|运维|维修|值班|团队|it|技术|工程师|专家|派)[^，,。]{0,4}$")


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
    cues: frozenset[str] = frozenset()  # the cue groups the text matched (cues.CUES: "case", "fault" ...)

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
        cache_dir: Path | None = None,
        encoder: Embedder | None = None,
        provisional: nlu_cache.TrainedWeights | None = None,
    ) -> None:
        """Builds the dictionaries and trains the intent classifier on the seeds, the corpus
        phrases and ``examples``.  Training runs once per process for the same inputs; with
        ``cache_dir`` the trained weights are also kept on disk, keyed by a hash of
        everything training depends on (code, corpus, tokenizer dictionary, examples).
        With ``encoder`` (a sentence embedder) a second model over sentence vectors is
        trained too and its probabilities are mixed in (``DENSE_MIX``).

        ``provisional``: weights trained for an earlier corpus, used instead of training
        when none are cached for this one (``self.provisional`` is then True).  A published
        content change switches at once with the new corpus's dictionaries (models, aliases,
        parameter names) and the old weights, and again when training has caught up
        (:mod:`assistant.api.content_sync`)."""
        from indexer.build import corpus_terms  # the index and the NLU share one user dictionary

        self.corpus = corpus
        self.lexicon = _with_extra_words(Lexicon.from_corpus(corpus))
        # Domain words that hide a job title inside them ("16口网管型poe交换机"); other
        # mask terms ("车间") must not hide one ("车间主任").
        self._persona_masks = tuple(t for t in self.lexicon.mask_terms if find_all(t, self.lexicon.personas))
        self._persona_masks += NOT_PERSONA
        # Read here, not on the first message that needs it (short customer names): about 0.2 s once.
        _general_frequencies()
        self.tokenizer = tokenizer or Tokenizer(UserDictionary.from_terms(corpus_terms(corpus)))
        self.current_year = current_year
        self._classifier = IntentClassifier(labels=INTENTS, **CLASSIFIER_OPTIONS)
        self._encoder = encoder
        self._dense = DenseIntentModel(labels=INTENTS, c=DENSE_C)
        self._prototypes = Prototypes(corpus)
        self._param_words = {
            p.id: frozenset(
                w
                for param in p.params
                for w in self.tokenizer.tokenize(param.name)
                if len(w) >= 2 and w not in _GENERIC_PARAM_WORDS
            )
            for p in corpus.products
        }
        # Words of each product's parameter values and notes ("北斗", "英文", "docker", "冗余"):
        # naming one asks whether the product has it, a row of its table.  Words of product
        # names and ids are left out (compatibility between products is a knowledge question).
        name_words = {
            w for p in corpus.products for w in (*self.tokenizer.tokenize(f"{p.id} {p.name}"), *p.id.lower().split("-"))
        }
        self._value_words = {
            p.id: frozenset(
                w
                for param in p.params
                for w in self.tokenizer.tokenize(f"{param.value} {param.note}")
                if len(w) >= 2
                and not any(ch.isdigit() for ch in w)
                and w not in name_words
                and w not in _GENERIC_PARAM_WORDS
            )
            for p in corpus.products
        }
        empty = CustomerProfile()
        training: list[tuple[str, Intent, CustomerProfile, float]] = [
            (t, i, empty, 1.0) for t, i in (*SEEDS, *SEEDS_MORE, *SEEDS_EXTRA)
        ]
        training.extend((u.text, u.intent, empty, 1.0) for u in shipped_utterances())
        if CORPUS_PHRASE_WEIGHT > 0:
            training.extend((t, i, empty, CORPUS_PHRASE_WEIGHT) for t, i in corpus_phrases(corpus))
        # Template phrases that teach the sparse model a wording; the sentence-vector model
        # does not train on them (DENSE_VALUE_PHRASES).
        templated = list(value_phrases(corpus)) if VALUE_PHRASE_WEIGHT > 0 else []
        start = len(training)
        training.extend((t, i, empty, VALUE_PHRASE_WEIGHT) for t, i in templated)
        skip = range(0) if DENSE_VALUE_PHRASES else range(start, start + len(templated))
        for ex in examples:
            training.append((ex[0], ex[1], ex[2] if len(ex) == 3 else empty, 1.0))
        options = (
            f"encoder={encoder.name if encoder else ''};dense_c={DENSE_C};"
            f"dense_value_phrases={DENSE_VALUE_PHRASES};classifier={sorted(CLASSIFIER_OPTIONS.items())!r}"
        )
        key = nlu_cache.training_key(
            corpus=corpus, tokenizer=self.tokenizer, training=training, year=current_year, options=options
        )
        trained = nlu_cache.load(key, cache_dir)
        self.provisional = trained is None and provisional is not None
        if self.provisional:
            trained = provisional
        if trained is None:
            started = time.perf_counter()
            counts = _corpus_word_counts(corpus, self.tokenizer)
            self._domain_words = frozenset(counts)
            self._specificity = _specificity(counts)
            self._classifier.fit(
                [
                    TrainingExample(tuple(self._features(text, profile)[0]), intent, weight)
                    for text, intent, profile, weight in training
                ]
            )
            if encoder is not None:
                dense_training = [ex for n, ex in enumerate(training) if n not in skip]
                vectors = encoder.encode([normalize(text) for text, _, _, _ in dense_training])
                self._dense.fit(vectors, [i for _, i, _, _ in dense_training], [w for _, _, _, w in dense_training])
            vocab, weights, bias = self._classifier.state()
            dense_weights, dense_bias = self._dense.state()
            trained = nlu_cache.TrainedWeights(
                vocab=vocab,
                weights=weights,
                bias=bias,
                words=tuple(counts),
                specificity=dict(self._specificity),
                dense_weights=dense_weights,
                dense_bias=dense_bias,
            )
            nlu_cache.store(key, trained, cache_dir)
            log.info("nlu trained on %d examples in %.1fs", len(training), time.perf_counter() - started)
        else:
            self._domain_words = frozenset(trained.words)
            self._specificity = dict(trained.specificity)
            self._classifier.restore(trained.vocab, trained.weights, trained.bias)
            if encoder is not None:
                self._dense.restore(trained.dense_weights, trained.dense_bias)
            log.info(
                "nlu %s weights %s (%d examples)",
                "took provisional" if self.provisional else "loaded trained",
                key[:12],
                len(training),
            )
        self.trained = trained  # what an engine of the next content may take as provisional

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
        if self._encoder is not None and self._dense.trained and not _sure_without_dense(scores):
            dense = self._dense.predict_proba(self._encoder.encode([ents.norm])[0])
            scores = {i: (1 - DENSE_MIX) * scores[i] + DENSE_MIX * dense[i] for i in INTENTS}
        intent = self._decide(scores, ents, profile, features)
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
            cues=frozenset(k for k, v in ents.cue.items() if v),
        )

    # -- entities -----------------------------------------------------------------

    def _entities(self, text: str) -> _Entities:
        norm = rewrite(normalize(text))
        sq, pos = _squash_with_positions(norm)
        breaks = frozenset(i for i in range(1, len(pos)) if pos[i] > pos[i - 1] + 1)
        lx = self.lexicon

        def matches(table: AliasTable, masked: str = sq) -> list[tuple[str, int, int]]:
            return [m for m in find_all(masked, table, breaks=breaks) if not _negated(masked, m[1])]

        # Competitor names and models ("锐拓rt-g1", "博远的ap") are hidden from our product names.
        competitor_spans = find_all(sq, lx.competitors)
        prod_text = sq
        for _, s, e in competitor_spans:
            prod_text = prod_text[:s] + "\u25a1" * (e - s) + prod_text[e:]
        products = [
            m for m in matches(lx.products, prod_text) if not _FOREIGN.search(prod_text[max(0, m[1] - 5) : m[1]])
        ]
        # Industry and region words inside product names or domain terms are not the customer's.
        masked = sq
        for term in lx.mask_terms:
            if term in masked:
                masked = masked.replace(term, "\u25a1" * len(term))
        persona_text = sq
        for term in self._persona_masks:
            persona_text = persona_text.replace(term, "\u25a1" * len(term))
        line_text = prod_text
        for _, s, e in products:
            masked = masked[:s] + "\u25a1" * (e - s) + masked[e:]
            persona_text = persona_text[:s] + "\u25a1" * (e - s) + persona_text[e:]
            line_text = line_text[:s] + "\u25a0" * (e - s) + line_text[e:]
        line_matches = [
            m
            for m in matches(lx.product_lines, line_text)
            if not _SOMEONE_ELSES.search(line_text[max(0, m[1] - 5) : m[1]])
        ]
        model, line = self._resolve_product(sq, breaks, products, line_matches, competitor_spans)
        personas = matches(lx.personas, persona_text)
        # "运维人员工资一个月4万": a role whose pay is quoted is a source of figures, not the contact.
        personas = [p for p in personas if not _PAY_AFTER_ROLE.match(persona_text, p[2])]
        # "八十个工人", "两个师傅": people counted, not the contact.
        personas = [p for p in personas if not _COUNTED_BEFORE.search(persona_text[max(0, p[1] - 8) : p[1]])]
        # "设备科的师傅": the department only says whose; the person is the head word.
        personas = [
            p for p in personas if not any(o is not p and persona_text[p[2] : o[1]] == "的" for o in personas)
        ] or personas
        personas = _by_department(personas, persona_text)
        # "不跟采购讲了 跟他们车间一线的师傅讲", "谢主任不是车间主任": the one no longer talked to,
        # or said not to be the contact, is no contact.
        personas = [p for p in personas if not _NOT_ADDRESSED.search(persona_text[max(0, p[1] - 6) : p[1]])]
        # "设备科带我去跟点检班的师傅聊": the one talked to is the contact, not the one who brings.
        # "之前对接机动科陈科 现在换成采购部老吴了": the one it changed to is the contact now.
        personas.sort(key=lambda p: (not _switched_to(persona_text, p[1]), not _addressed(persona_text, p[1])))
        # A job title hides the industry words inside it ("自动化工程师" is no 化工).
        for _, s, e in personas:
            if e - s >= 3:
                masked = masked[:s] + "\u25a1" * (e - s) + masked[e:]
        industries = [
            m
            for m in matches(lx.industries, masked)
            if masked[m[1] : m[2]] not in FACILITY_WORDS
            or _IS_THE_CUSTOMER.search(masked[: m[1]])
            or _FACILITY_AS_TRADE_AFTER.match(masked[m[2] :])
        ]
        maker = _MAKES_MACHINES.search(masked)
        if maker is not None:
            # "做矿山破碎机的": a maker of machines is machinery, whatever trade it serves
            industries = [("机械加工", maker.start(), maker.end())] + [
                m for m in industries if not maker.start() <= m[1] < maker.end()
            ]
        regions = matches(lx.regions, masked)
        competitors = find_all(sq, lx.competitors)
        scales = matches(lx.scales, masked)
        extra_scale = _scale_from_wording(masked, industries)
        if extra_scale and not scales:
            scales = [(extra_scale, 0, 0)]
        stages = find_all(sq, lx.stages)
        params = find_all(sq, lx.param_words)
        negated_all = [m for m in find_all(masked, lx.scales) if _negated(masked, m[1])]
        corrected = bool(negated_all) or bool(re.search(r"不是|说错|不对|改成|更正|纠正", norm))
        if not corrected and len({v for v, _, _ in industries}) > 1:
            # "做小家电配件的五金厂": the word on the head noun (…厂) names the customer's trade.
            heads = [m for m in industries if "厂" in (masked[m[2] - 1], masked[m[2] : m[2] + 1])]
            industries = heads + [m for m in industries if m not in heads]
        # Spans of entity mentions in the normalised text, hidden from the number scan.
        hidden = [(pos[s], pos[e - 1] + 1) for _, s, e in products]
        quarter = find_quarter(norm, current_year=self.current_year)
        if quarter is not None:
            hidden.append((quarter[1], quarter[2]))
        num_text = norm
        for s, e in hidden:
            num_text = num_text[:s] + " " * (e - s) + num_text[e:]
        numbers = find_numbers(num_text)
        if not scales:
            revenue_scale = _scale_from_revenue(num_text, numbers)
            if revenue_scale:
                scales = [(revenue_scale, 0, 0)]
        cue = {name: matcher.search(norm, sq) for name, matcher in cue_patterns.CUE_MATCHERS.items()}
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
            model=model,
            line=line,
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
            customer_name=self._customer_name(norm, text),
            pronoun=bool(_PRONOUN.search(norm)),
            cue=cue,
            persona_reported=any(_REPORTED.match(masked[e : e + 3]) for _, _, e in personas),
            persona_short=bool(personas) and all(persona_text[s:e] in BACK_REFERENCE_TITLES for _, s, e in personas),
            corrected=corrected,
        )

    def _customer_name(self, norm: str, raw: str) -> str | None:
        """The customer's name; a company-looking word made of a region or an industry and a
        suffix ("宁夏煤化工") is a description, not a name, unless the user said "叫".  A name
        said not to be it ("是永泰新材 不是永泰化工") is masked first; words typed right before
        a name ("假如换成") are not part of it."""
        name = self._find_customer_name(norm, raw)
        if (
            name is not None
            and not _CUSTOMER_NAME.search(norm)
            and not self._names_a_company(name)
            and not _REGISTERED_END.search(name)  # (a registered name names a company)
        ):
            return None  # "给工程机械配油缸的", "轧机齿轮箱四十来台": a trade or machines, named by no one
        if name is not None and self.corpus.vocab.company and name.startswith(self.corpus.vocab.company):
            return None  # our own company is no customer
        if name is not None:
            name = _registered_in_full(_with_registered_tail(name, norm), norm, self.lexicon.regions)
            sub = _SUBSIDIARY.match(norm, norm.find(name) + len(name)) if name in norm else None
            if sub is not None and not _A_BRANCH.search(sub.group("name")):
                name = sub.group("name")  # "川渝能源集团下面的青白江热电": the plant is the customer
        if name is not None and any(
            s == 0 and e == len(squash(name)) for _, s, e in find_all(squash(name), self.lexicon.competitors)
        ):
            return None  # "用的是凯森的PLC": a competitor, never the customer
        if name is not None and _PLACEHOLDER_NAME.search(name):
            return None  # "名字叫啥来着": a name not remembered
        while name is not None:
            lead = next((w for w in cue_patterns.NAME_LEAD_WORDS if name.startswith(w)), None)
            if lead is None:
                break
            name = name[len(lead) :] if len(name) - len(lead) >= 2 else None  # "换成" alone names no one
        if name is not None and re.search(r"[a-z]", name) and (at := raw.lower().find(name)) >= 0:
            return raw[at : at + len(name)]  # "KTC精密": Latin letters as the user typed them
        return name

    def _find_customer_name(self, norm: str, raw: str) -> str | None:
        norm = _NEGATED_NAME.sub(lambda m: "□" * len(m.group(0)), norm)
        corrected = _NAME_CORRECTED.search(norm)
        if corrected is not None:
            said = corrected.group("name") or corrected.group("said") or corrected.group("renamed")
            if self._is_a_bare_name(said, place=None) or (
                corrected.group("said") and self._names_a_company(said) and self._ends_in_trade(said)
            ):
                return said
        registered = _registered_name(norm)
        if registered is not None and not _NOT_IN_A_NAME.search(registered[: -len(_tail_of(registered))]):
            return registered  # "今天见的是鲁钢集团济南特钢有限公司": the registered name, whole
        name = _customer_name(norm, raw)
        if name is not None and _CUSTOMER_NAME.search(norm):
            return name
        if name is not None and self._names_a_company(name):
            return name
        said = _CUSTOMER_IS.search(norm)
        if said is not None and self._is_a_bare_name(said.group("name"), place=said.group("place")):
            return said.group("name")
        after = _NAME_SET_OFF_AFTER_TRADE.search(norm)
        if after is not None and self._is_a_bare_name(after.group("name"), place=None):
            return after.group("name")  # "晋江陈埭做运动鞋的 鸿兴": the name after what it makes
        # A name right after its city, before the kind of site or the contact ("北京望京汇智园区",
        # "北京中科恒远的采购"): the city and the words after it, as typed.
        for _, start, end in find_all(norm, self.lexicon.regions):
            if (
                start > 0
                and not norm[start - 1].isspace()
                and norm[start - 1] not in _CLAUSE_MARKS
                and not norm[:start].endswith(_BEFORE_A_NAME)
            ):
                continue
            m = _AFTER_CITY.match(norm, end)
            if m is None:
                bare = _AFTER_CITY_BARE.match(norm, end)
                # "白银铜城冶炼 电解车间": set off by a space, a name ending in its trade or a suffix
                if (
                    bare is not None
                    and self._ends_in_trade(bare.group("name"))
                    and not _A_KIND_OF.match(bare.group("name"))
                ):
                    name = bare.group("name")
                    if not _NOT_IN_A_NAME.search(name) and self._names_a_company(name):
                        return norm[start : bare.end("name")]
                continue
            if m.group("role") and not _starts_with_persona(norm[m.end("name") + 1 :]):
                continue
            if not m.group("role") and len(m.group("name")) < 3:
                continue  # "苏州工业园区": a district, not a customer
            name = m.group("name")
            if (
                not _NOT_IN_A_NAME.search(name)
                and not any(w in name for w in cue_patterns.NOT_IN_A_BARE_NAME)
                and self._names_a_company(name)
            ):
                return norm[start : m.end("name")]
        # A bare name set off by spaces right after the place it runs ("电商物流仓库 渝仓云链 大型",
        # "新能源的 叙州储能 中型"): more specific than a suffix inside the description.
        for m in _SCENE_NAME.finditer(norm):
            name = m.group("name")
            if not norm[: m.start()].rstrip().endswith(_SCENE_PLACE):
                continue
            # (set off on its own, a place and a trade make a name: "叙州储能")
            if (
                not _NOT_IN_A_NAME.search(name)
                and not any(w in name for w in cue_patterns.NOT_IN_A_BARE_NAME)
                and not any(w in name for words in PERSONA_CUES.values() for w in words)
                and not _HEADCOUNT.fullmatch(name)  # "是中型的 四五百人": a head count, no name
                and not _SYMPTOM_IN_NAME.search(name)
                and (len(name) >= 4 or self._names_a_company(name))
                # "化工厂 精细化工": a kind of the trade, not a name
                and (self._names_a_company(name) or not self._ends_in_trade(name))
            ):
                return name
        # A company typed in passing ("给宁波甬丰泵业的老板开个场", "深圳华芯电子的IT").
        masks = self.lexicon.mask_terms
        for m in _LOOSE_COMPANY.finditer(norm):
            end = _whole_suffix(norm, m.start("name"), m.end("name"))  # "洛阳豫重机械", not "…重机"
            name = norm[m.start("name") : end]
            if (
                self._names_a_company(name)
                and not _trade_before(norm, m.start())
                and not _PLACED_IN.search(norm[max(0, m.start() - 2) : m.start()])
                and not _SYMPTOM_IN_NAME.search(name)
                # "大钢厂用能源管理模块": the suffix is the start of a word of the trade's talk
                and not any(m.start("name") <= at < end < at + len(w) for w, at in _found(norm, masks))
            ):
                # "客户巩义市恒昌铝业有限公司": typed glued to 客户, whose 户 is not the name's
                return name[1:] if norm[m.start() - 1 : m.start() + 1] == "客户" else name
        for m in _NAMED_BY_TRADE.finditer(norm):
            # "江门新会 做蚝油的嘉味": the name follows the trade; the words before it are the place
            named_after = _NAME_AFTER_TRADE.match(norm[m.end("name") :].lstrip())
            if self._names_a_company(m.group("name")) and named_after is None:
                return m.group("name")
        short = self._short_name(norm)
        if short is None or not re.search(r"[a-z]", short):
            return short
        at = raw.lower().find(short)  # "XD那边": Latin letters as the user typed them
        return raw[at : at + len(short)] if at >= 0 else short

    def _short_name(self, norm: str) -> str | None:
        """A short name typed in passing: after the trade ("做泵阀的华力"), after the town and
        "的" ("柯桥的永盛"), or before "那边" ("去了同发那边")."""
        places = find_all(norm, self.lexicon.regions)
        place_ends = {end for _, _, end in places}
        candidates = [
            m.group("name")
            for m in _NAME_AFTER_TRADE.finditer(norm)
            # the trade opens a clause or follows the town ("瑞安做泵阀的华力"), not "搞节能的案例";
            # or "那家"/"一个" before it ("洛阳那家做轴承的宏业")
            if m.start() == 0
            or norm[m.start() - 1].isspace()
            or norm[m.start() - 1] in _CLAUSE_MARKS
            or m.start() in place_ends
            or norm[max(0, m.start() - 2) : m.start()] in _ONE_OF
            # "盛泽做织造的金丝", "合肥新站做面板配套的科瑞": a town or district opens the message
            or (m.start() <= 4 and _CJK_WORD.fullmatch(norm[: m.start()]) is not None)
        ]
        # "唐山古冶那个冀丰 炼钢的", "北滘那间铜源金属啊": a name right after "那个"/"那家" once a
        # place is said, or a town opens the message
        candidates += [
            m.group("name")
            for m in _NAME_AFTER_THAT.finditer(norm)
            if (places and m.start() >= places[0][2]) or (m.start() <= 4 and _CJK_WORD.fullmatch(norm[: m.start()]))
        ]
        for _, _, end in places:
            m = _NAME_AFTER_PLACE.match(norm, end)
            # ("游仙的jmt": Latin letters name a company too, unless they are a word of the trade, "plc")
            if m is not None and m.group("name") not in self.lexicon.mask_terms:
                candidates.append(m.group("name"))
        candidates += [m.group("name") for m in _NAME_THERE.finditer(norm)]
        candidates += [m.group("name") for m in _NAME_THERE_OF.finditer(norm)]
        candidates += [m.group("name") for m in _NAME_OF_PERSON.finditer(norm)]
        candidates += [m.group("name") or m.group("visited") or m.group("called") for m in _NAME_VISITED.finditer(norm)]
        candidates += [
            m.group("name")
            for m in _NAME_OF_CONTACT.finditer(norm)
            if any(start == 0 for _, start, _ in find_all(squash(m.group("role")), self.lexicon.personas))
        ]
        first = _NAME_FIRST.match(norm)
        if first is not None and (
            find_all(squash(first.group("rest")), self.lexicon.regions)
            or _TRADE_VERB.match(first.group("rest"))
            or _TRADE_VERB.match(first.group("rest").removeprefix("那个").removeprefix("就是"))  # "金龙 那个做电线的"
        ):
            candidates.append(first.group("name"))
        general = _general_frequencies()
        for name in candidates:
            if (
                not _NOT_A_SHORT_NAME.search(name)
                and general.get(name, 0) < _MAX_NAME_FREQUENCY
                and not _A_KIND_OF.match(name)
                and self._is_a_bare_name(name, trade_inside=True)
            ):
                return name
        return None

    def _is_a_bare_name(self, name: str, *, place: str | None = None, trade_inside: bool = False) -> bool:
        """ "客户是恒发": a name, unless the words are a contact, a trade, a size, a place or talk
        ("客户是厂长", "客户是做化工的", "客户是国企", "客户是老客户"); a word before "的" must be
        a place ("客户是顺德的恒发").  ``trade_inside``: a trade word may be part of the name
        ("恒昌车桥", "陇海铝业") as long as more than the trade is left."""
        if place is not None and not find_all(squash(place), self.lexicon.regions):
            return False
        if _NOT_A_NAME.match(name) or _A_ROLE.search(name) or _NOT_IN_A_NAME.search(name):
            return False
        if _TRADE_VERB.match(name) or _SYMPTOM_IN_NAME.search(name):
            return False
        if any(w in name for words in PERSONA_CUES.values() for w in words):
            return False
        if any(w in name for w in cue_patterns.NOT_IN_A_BARE_NAME):
            return False
        sq = squash(name)
        tables = (self.lexicon.regions, self.lexicon.scales, self.lexicon.products)
        if any(find_all(sq, table) for table in (*tables, *(() if trade_inside else (self.lexicon.industries,)))):
            return False
        return not trade_inside or self._names_a_company(name)

    def _ends_in_trade(self, name: str) -> bool:
        """The word ends in an industry's word ("铜城冶炼") or a company suffix ("恒远科技")."""
        if _LOOSE_SUFFIX.search(name):
            return True
        stem = name.removesuffix("厂")  # "蜀味调味品厂": the trade, then the plant
        return any(e == len(stem) and s >= 2 for _, s, e in find_all(stem, self.lexicon.industries))

    def _names_a_company(self, name: str) -> bool:
        """Not only a region, an industry or a size with a suffix ("宁夏煤化工", "中型食品"); a
        town with a trade is a name ("丰润钢铁", "叙州储能"): towns name companies."""
        whole = squash(name)
        if any(s == 0 and e == len(whole) for _, s, e in find_all(whole, self.lexicon.industries)):
            return False  # "工程机械": a trade, though it ends like "豫重机械"
        if whole in self.lexicon.mask_terms:
            return False  # "天然气": a word of the trade's talk, not a company
        unplaced = whole
        for _, s, e in sorted(find_all(whole, self.lexicon.regions), key=lambda m: -m[1]):
            unplaced = unplaced[:s] + unplaced[e:]
        if len(unplaced) < 2:
            return False  # "汕头潮南": a city and its district, where the customer is
        suffix = _LOOSE_SUFFIX.search(name)
        stem = squash(name[: suffix.start()] if suffix else name)
        for table in (self.lexicon.major_regions, self.lexicon.industries):
            for _, s, e in sorted(find_all(stem, table), key=lambda m: -m[1]):
                stem = stem[:s] + stem[e:]
        for word in (*cue_patterns.NOT_A_COMPANY_STEM, *FLEET_MACHINES):
            stem = stem.replace(word, "")
        return len(stem) >= 2

    def _sibling(self, ents: _Entities, profile: CustomerProfile) -> str | None:
        """ "那换成300呢" after EC-100: the model of the current product's line that the bare
        number names (EC-300), when exactly one does."""
        current = profile.product_model
        m = _SWITCH_TO_NUMBER.search(ents.norm)
        if current is None or ents.products or m is None:
            return None
        line_of = self.lexicon.product_line_of
        number = re.compile(rf"-{m.group('num')}(?:-|$)")
        hits = [pid for pid, line in line_of.items() if line == line_of.get(current) and number.search(pid)]
        return hits[0] if len(hits) == 1 else None

    # -- classifier features ------------------------------------------------------

    def _features(self, text: str, profile: CustomerProfile) -> tuple[list[str], _Entities]:
        ents = self._entities(text)
        sibling = self._sibling(ents, profile)
        if sibling is not None:
            ents = replace(ents, products=(sibling,), model=sibling, line=None)
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
        # How much of the utterance the corpus talks about: off-topic text shares few words with it,
        # and the words it shares are everyday ones ("明天", "公司"), not domain words ("网关", "标定").
        content = [w for w in words if len(w) >= 2]
        if content:
            cov = sum(w in self._domain_words for w in content) / len(content)
            feats.append("cov:" + ("0" if cov == 0 else "low" if cov < 0.4 else "mid" if cov < 0.75 else "high"))
        else:
            feats.append("cov:none")
        specific = sorted((self._specificity.get(w, 0.0) for w in content), reverse=True)
        top = specific[0] if specific else 0.0
        feats.append("spec:" + ("0" if top < 1 else "lo" if top < 3 else "mid" if top < 5 else "hi"))
        n_specific = sum(x >= 3 for x in specific)
        feats.append("nspec:" + ("0" if n_specific == 0 else "1" if n_specific == 1 else "2+"))
        target = ents.products[0] if ents.products else profile.product_model
        if target and self._param_words.get(target, frozenset()) & set(words):
            feats.append("f:own_param")
        # How well the corpus's parameter rows / knowledge phrasings match the utterance.
        bare = ents.squashed
        for _, s, e in ents.product_spans:
            bare = bare[:s] + " " * (e - s) + bare[e:]
        grams = bigrams(bare)
        coverage, value_hit = self._prototypes.param_match(grams, bare, target)
        feats.append("pm:" + ("none" if not target else "0" if coverage == 0 else "lo" if coverage < 0.5 else "hi"))
        if value_hit:
            feats.append("pm:value")
        value_word = bool(target and self._value_words.get(target, frozenset()) & set(words))
        if value_word:
            feats.append("pm:vword")
        procedure = bool(cue_patterns.PROCEDURE.search(ents.norm))
        km = self._prototypes.knowledge_match(grams, target)
        feats.append("km:" + ("0" if km < 0.2 else "lo" if km < 0.4 else "mid" if km < 0.6 else "hi"))
        known = profile.known()
        if known:
            feats.append("ctx:any")
        if "product_model" in known or "product_line" in known:
            feats.append("ctx:product")
        norm = ents.norm
        cue = ents.cue
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
            "ask_person": bool(cue_patterns.ASK_PERSON.search(norm)),
            "process_q": bool(cue_patterns.PROCESS_QUESTION.search(norm)),
            "stuck": bool(cue_patterns.STUCK.search(norm)),
            "sell_ask": bool(cue_patterns.SELL_ASK.search(norm)),
            "mine": bool(cue_patterns.MINE.search(norm)),
            "account_q": bool(cue_patterns.ACCOUNT_QUESTION.search(norm)),
            "rule_q": bool(cue_patterns.RULE_QUESTION.search(norm)),
            "value_q": bool(cue_patterns.VALUE_QUESTION.search(norm)),
            "procedure": procedure,
        }
        flags.update({f"cue_{k}": v for k, v in cue.items()})
        ours = flags["product"] or flags["line"]
        flags["domain"] = any(
            flags[k] for k in ("product", "line", "competitor", "param", "industry", "region", "persona", "scale")
        ) or any(cue[k] for k in ("rebate", "case", "script", "trade"))
        flags["anchored"] = flags["domain"] or n_specific > 0
        flags["profile_facts"] = (
            sum(bool(x) for x in (ents.industries, ents.regions, ents.personas, ents.scales, ents.customer_name)) >= 1
            and not cue["question"]
        )
        # Conjunctions a linear model cannot form by itself.
        flags["person_now"] = flags["ask_person"] and not flags["process_q"]
        flags["person_howto"] = flags["ask_person"] and flags["process_q"]
        flags["stuck_person"] = flags["stuck"] and (flags["ask_person"] or cue["handoff"])
        flags["sell_unknown"] = flags["sell_ask"] and not ours and not flags["param"]
        flags["brand_alone"] = cue["brand"] and not ours
        flags["brand_no_model"] = cue["brand"] and not flags["product"]
        flags["offtopic_alone"] = cue["offtopic"] and not ours and not flags["param"]
        flags["rebate_mine"] = cue["rebate"] and (flags["mine"] or flags["account_q"] or flags["quarter"])
        flags["rebate_account"] = cue["rebate"] and flags["account_q"] and not flags["rule_q"]
        flags["rebate_rule"] = cue["rebate"] and flags["rule_q"] and not flags["account_q"]
        flags["product_value"] = (ours or "product_model" in known) and flags["value_q"]
        # A competitor on its own ("锐拓的网关怎么刷固件") vs set against ours ("比锐拓的贵多少").
        # A line word right after a competitor's name ("锐拓的网关") is their product, so only a
        # product of ours, "我们" or comparison wording ("比", "便宜") sets the two against each other.
        versus = cue["compare"] or any(w in norm for w in ("比", "优势", "差", "便宜", "贵"))
        flags["competitor_only"] = flags["competitor"] and not flags["product"] and not versus and not flags["mine"]
        flags["vs_competitor"] = flags["competitor"] and (versus or flags["product"] or flags["mine"])
        feats.extend(f"f:{k}" for k, v in flags.items() if v)
        if flags["product"] and flags["param"]:
            feats.append("f:product+param")
        if flags["product"] and cue["price"]:
            feats.append("f:product+price")
        if not flags["domain"]:
            feats.append("f:no_domain")
        if not flags["anchored"]:
            feats.append("f:unanchored")
        for a, b in (
            ("rebate", "mine"),
            ("rebate", "rule"),
            ("rebate", "learn"),
            ("handoff", "howto"),
            ("handoff", "mine"),
            ("handoff", "imperative"),
            ("param", "fault"),
            ("param", "install"),
            ("product", "install"),
            ("param", "compare"),
            ("param", "compat"),
            ("param", "procedure"),
            ("product", "procedure"),
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

    def _decide(
        self, scores: dict[str, float], ents: _Entities, profile: CustomerProfile, features: Sequence[str]
    ) -> Intent:
        intent: Intent = max(INTENTS, key=lambda i: (scores[i], -INTENTS.index(i)))
        if (
            UNANCHORED_IS_OFF_TOPIC
            and intent in ("knowledge_qa", "product_params")
            and "f:unanchored" in features
            and not profile.known()
            and not any(ents.cue[k] for k in ("handoff", "greeting", "rebate", "case", "script", "fault", "trade"))
            and not _COURSE.search(ents.norm)
        ):
            # Nothing in the text is ours: no product, line, competitor, customer fact, domain
            # word or task cue (a course counts: the academy is ours), and no conversation it
            # could be following up.
            return "out_of_scope"
        if ents.competitors:
            if intent == "product_params":
                # Our figures set against a competitor's ("ap5和博远的比漫游差多少") are answered from
                # the product's competitor notes, not from a row of its parameter table.
                return "knowledge_qa"
            if intent == "out_of_scope" and (ents.products or _VERSUS_OURS.search(ents.norm)):
                # A competitor set against us ("比锐拓的贵多少") is a sales question, never off-topic.
                return "knowledge_qa"
        elif intent == "knowledge_qa" and ents.products and (ents.cue["price"] or ents.cue["warranty"]):
            # The price or warranty of a named model is a row of its table ("2100目录价多少").
            return "product_params"
        if intent == "product_params" and ents.cue["warranty"] and not ents.products and not profile.product_model:
            # Warranty without a model ("eg系列保几年", "雷击坏了保修吗") is the warranty policy.
            return "knowledge_qa"
        if intent == "product_params" and ents.cue["trade"] and not ents.params:
            # Delivery, invoices, repairs and payment terms are business rules, not a table row.
            return "knowledge_qa"
        if intent == "greeting" and (ents.cue["price"] or cue_patterns.VALUE_QUESTION.search(ents.norm)):
            # A short follow-up asking for a value ("那价格呢", "要多少钱") is no greeting.
            return max((i for i in INTENTS if i != "greeting"), key=lambda i: (scores[i], -INTENTS.index(i)))
        if (
            intent == "product_params"
            and "f:procedure" in features
            and "f:value_q" not in features
            and not ents.cue["price"]
        ):
            # How to do something with the product ("th100波特率怎么改", "2100两个网口怎么配成不同
            # 网段"): a how-to, answered by the FAQ or the manual, not a value of its table.
            return "knowledge_qa"
        if (
            intent == "rebate_query"
            and "f:rule_q" in features
            and "f:account_q" not in features
            and not cue_patterns.MINE.search(ents.norm)
            and ents.quarter is None
            and not ents.numbers
        ):
            # How the policy is defined ("新市场补贴一个季度封顶多少"), with nothing of the caller's
            # own in it: no "我", quarter, figure or account question.
            return "knowledge_qa"
        if intent == "handoff_request" and cue_patterns.PROCESS_QUESTION.search(ents.norm):
            # How the support process works ("远程支持晚上有人吗", "叫专家前要备好啥"), not a
            # request for a person now.
            return "knowledge_qa"
        if intent == "script_request" and _COURSE.search(ents.norm):
            # Asking for a course or training ("有没有讲守价的课") is a question for the academy.
            return "knowledge_qa"
        if (
            intent == "out_of_scope"
            and profile.known()
            and not ents.cue["offtopic"]
            and not ents.cue["brand"]
            and not ents.competitors
        ):
            # A follow-up in a customer conversation with nothing off-topic in it ("那咋知道机器开没开").
            return max((i for i in INTENTS if i != "out_of_scope"), key=lambda i: (scores[i], -INTENTS.index(i)))
        return intent

    # -- slots --------------------------------------------------------------------

    def _slots(self, ents: _Entities, intent: Intent, profile: CustomerProfile) -> dict[str, str | int | Decimal]:
        """What this text states, every time it states it (eval/data/README.md, slot conventions);
        the profile does not filter anything out."""
        numbers_allowed = _NUMBER_SLOTS.get(intent, _ALL_NUMBER_SLOTS)
        if _ORDER_QUANTITY.search(ents.norm) or (
            intent == "product_params"
            and (
                _CUSTOMER_DEVICES.search(ents.norm)
                or _METERS_COUNTED.search(ents.norm)
                or any(n.unit in ("台", "套") for n in ents.numbers)
            )
        ):
            # "要30台eg3200", "买5套": how many the customer orders, whatever else is asked;
            # "oee模块一套能接几台 他们磨床一百二十台": the customer's fleet beside a spec question
            numbers_allowed = numbers_allowed | {"device_count"}
        if _ORDER_AMOUNT.search(ents.norm):
            numbers_allowed = numbers_allowed | {"amount"}  # "项目金额估计三百二十万 … 特价怎么申请"
        if intent in ("out_of_scope", "greeting"):
            return {}

        def pick(values: Sequence[str]) -> str:
            # A correction ("不是华东，是华南") names the new value last.
            return values[-1] if ents.corrected else values[0]

        out: dict[str, str | int | Decimal] = {}
        if ents.model:
            out["product_model"] = ents.model
        elif ents.line:
            out["product_line"] = ents.line
        for key, values in (
            ("industry", ents.industries),
            ("region", ents.regions),
            ("scale", ents.scales),
            ("persona", ents.personas),
        ):
            if values:
                out[key] = pick(values)
        if "persona" in out and ents.persona_short and profile.persona is not None:
            out["persona"] = profile.persona  # "王部长说…": the contact already known
        if "persona" in out and intent == "knowledge_qa" and ents.persona_reported:
            del out["persona"]  # "操作工说停的比这多": a source of figures, not the contact
        if ents.quarter:
            out["quarter"] = ents.quarter
        if ents.customer_name:
            out["customer_name"] = ents.customer_name
        for key, value in _number_slots(ents.num_text, ents.numbers).items():
            if key in numbers_allowed:
                out[key] = value
        if ents.corrected and "downtime_hours_per_month" not in out and profile.downtime_hours_per_month is not None:
            # "不对 是25个小时": a bare duration in a correction corrects the monthly downtime held.
            hours = [
                n
                for n in ents.numbers
                if n.unit in _HOUR_UNITS and n.value > 1 and not CORRECTED_AWAY.search(ents.num_text[: n.start])
            ]
            if hours and "downtime_hours_per_month" in numbers_allowed:
                out["downtime_hours_per_month"] = hours[-1].value
        if intent == "rebate_query" and "amount" not in out:
            # "净销售额做到175万": in a rebate question a sales figure is the partner's, not a size
            money = [
                n
                for n in ents.numbers
                if n.is_money
                and not CORRECTED_AWAY.search(ents.num_text[: n.start])
                and not _COMPUTED_BEFORE.search(ents.num_text[max(0, n.start - 8) : n.start])
            ]
            if money:
                out["amount"] = money[-1].value if ents.corrected else money[0].value
        if intent == "rebate_query":
            # The partner's own business: a quarter and a what-if figure, never the customer's profile.
            return {k: v for k, v in out.items() if k in ("quarter", "amount")}
        if (
            intent == "knowledge_qa"
            and "device_count" in out
            and not _CUSTOMER_DEVICES.search(ents.norm)
            and not _FLEET_COUNT.search(ents.norm)
            and not _FLEET_COUNTED.search(ents.norm)
            and not _METERS_COUNTED.search(ents.norm)
            and not _ORDER_QUANTITY.search(ents.norm)
        ):
            del out["device_count"]  # "锐拓免费接100台": a figure in the question, not the customer's fleet
        return out

    def _resolve_product(
        self,
        sq: str,
        breaks: frozenset[int],
        products: Sequence[tuple[str, int, int]],
        lines: Sequence[tuple[str, int, int]],
        competitors: Sequence[tuple[str, int, int]],
    ) -> tuple[str | None, str | None]:
        """The product_model and product_line slots (README): the first-named product, unless
        it is one of alternatives ("2100跟2100pro", "交换机和ap", "ec300 500pro 700r"), which
        give their line instead; without a product, the one line the text names."""
        line_of = self.lexicon.product_line_of
        if products:
            mentions: list[_Mention] = sorted(
                [("p", line_of.get(v, ""), s, e, v) for v, s, e in products] + [("l", v, s, e, v) for v, s, e in lines],
                key=lambda m: m[2],
            )
            first = next(i for i, m in enumerate(mentions) if m[0] == "p")
            lo = hi = first
            while lo > 0 and _joined(sq, breaks, mentions[lo - 1], mentions[lo]):
                lo -= 1
            while hi + 1 < len(mentions) and _joined(sq, breaks, mentions[hi], mentions[hi + 1]):
                hi += 1
            if all(m[0] == "p" and m[4] == products[0][0] for m in mentions[lo : hi + 1]):
                return products[0][0], None
            group_lines = {m[1] for m in mentions[lo : hi + 1]}
            return None, (group_lines.pop() if len(group_lines) == 1 else None)
        named = {v for v, _, _ in lines}
        for name, _, _ in competitors:
            only = self.lexicon.competitor_lines.get(name, frozenset())
            if len(only) == 1:
                named |= only
        return None, (named.pop() if len(named) == 1 else None)


_Mention = tuple[str, str, int, int, str]  # kind ("p" product, "l" line word), line, start, end, value


def _sure_without_dense(scores: dict[str, float]) -> bool:
    """The sparse model alone decides: it is sure, and of an intent whose answer would
    not encode the text anyway (see ``DENSE_SKIP_CONFIDENCE``)."""
    best = max(scores, key=scores.__getitem__)
    return best in DENSE_FREE_INTENTS and scores[best] >= DENSE_SKIP_CONFIDENCE


def _joined(sq: str, breaks: frozenset[int], a: _Mention, b: _Mention) -> bool:
    """Two mentions given as alternatives: "A还是B", "A跟B", "A、B", or a bare list "A B"
    (two products typed together, or anything the user separated with a space)."""
    gap = sq[a[3] : b[2]]
    if a[0] == b[0] == "p" and a[4] == b[4]:
        return False  # one product named twice ("lr1基站", "防爆平板t10")
    if gap in _ALTERNATIVE_JOINERS:
        return True
    if gap in ("", "|"):
        if a[0] != b[0] and a[1] == b[1] and gap == "":
            return False  # a product and its own line word, space or not ("mini-s 网关", "网关 2100")
        return gap == "|" or b[2] in breaks or (a[0] == "p" and b[0] == "p")
    return False


@dataclass(frozen=True, slots=True)
class _Entities:
    norm: str
    squashed: str
    products: tuple[str, ...]
    lines: tuple[str, ...]
    product_spans: tuple[tuple[str, int, int], ...]
    line_spans: tuple[tuple[str, int, int], ...]
    model: str | None  # the product_model slot (README rules: first-named, unless alternatives)
    line: str | None  # the product_line slot (only without a model)
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
    persona_reported: bool  # a role word followed by "说": someone quoted, not the contact
    persona_short: bool  # only short titles ("王部长"): the contact the profile holds, if any
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


def _corpus_word_counts(corpus: Corpus, tokenizer: Tokenizer) -> Counter[str]:
    """How often the corpus uses each word of two characters or more."""
    from assistant.content.documents import chunk_corpus

    counts: Counter[str] = Counter()
    for doc in chunk_corpus(corpus):
        counts.update(t for t in tokenizer.tokenize(f"{doc.title} {doc.text}") if len(t) >= 2)
    return counts


def _specificity(counts: Counter[str]) -> dict[str, float]:
    """log of (share of the corpus) / (share of general Chinese, from jieba's dictionary) per
    corpus word: "网关" or "标定" score high, "现在" or "公司" near zero.  Words the general
    dictionary lacks count as rare there (a smoothing count of 5)."""
    general = _general_frequencies()
    total_general = sum(general.values()) or 1
    total = sum(counts.values()) or 1
    out: dict[str, float] = {}
    for word, n in counts.items():
        value = math.log((n / total) / ((general.get(word, 0) + 5) / total_general))
        if value > 0:
            out[word] = round(value, 3)
    return out


def _general_frequencies() -> dict[str, int]:
    """Word frequencies of jieba's bundled general dictionary (read once per process)."""
    global _GENERAL  # noqa: PLW0603 - a read-only table shared by every Nlu of the process
    if _GENERAL is None:
        import jieba

        freq: dict[str, int] = {}
        with jieba.dt.get_dict_file() as fh:
            for raw in fh:
                parts = raw.decode("utf-8").split(" ")
                if len(parts) >= 2 and parts[1].isdigit():
                    freq[parts[0].lower()] = int(parts[1])
        _GENERAL = freq
    return _GENERAL


_GENERAL: dict[str, int] | None = None


def _with_extra_words(lx: Lexicon) -> Lexicon:
    """The corpus lexicon plus the customer-fact words of :mod:`cues` (area words like
    "珠三角", more cities, industry and job-title words); a word the corpus already maps
    keeps its corpus value, and a canonical value the corpus does not know is skipped."""

    def extend(table: AliasTable, extra: dict[str, tuple[str, ...]]) -> AliasTable:
        known = {value for _, value in table} or set(extra)
        merged = dict(table)
        for value, words in extra.items():
            if value in known:
                for word in words:
                    merged.setdefault(squash(word), value)
        return AliasTable.of(merged)

    return replace(
        lx,
        regions=extend(lx.regions, EXTRA_REGION_WORDS),
        industries=extend(extend(lx.industries, EXTRA_INDUSTRY_WORDS), TRADES),
        personas=extend(lx.personas, EXTRA_PERSONA_WORDS),
        scales=extend(lx.scales, EXTRA_SCALE_WORDS),
        # Equipment and gas words that are not an industry also hide the industry words inside
        # them ("天然气" holds "燃气").
        mask_terms=tuple(sorted({*lx.mask_terms, *NOT_INDUSTRY, "可燃气"}, key=lambda m: (-len(m), m))),
    )


def _gap(a: tuple[str, int, int], b: tuple[str, int, int]) -> int:
    return max(a[1] - b[2], b[1] - a[2], 0)


def _scale_from_wording(text: str, industries: Sequence[tuple[str, int, int]]) -> str | None:
    if _SMALL_WORDING.search(text) or any(s > 0 and text[s - 1] == "小" for _, s, _ in industries):
        return "small"
    if _LARGE_WORDING.search(text):
        return "large"
    if _MEDIUM_WORDING.search(text):
        return "medium"
    return _scale_from_headcount(text)


def _scale_from_revenue(text: str, numbers: Sequence[NumberMention]) -> str | None:
    for n in numbers:
        if n.is_money and _REVENUE_BEFORE.search(_CLAUSE_BREAK.split(text[max(0, n.start - 8) : n.start])[-1]):
            if n.value < _REVENUE_MEDIUM_FROM:
                return "small"
            return "medium" if n.value < _REVENUE_LARGE_FROM else "large"
    return None


def _scale_from_headcount(text: str) -> str | None:
    for m in _HEADCOUNT.finditer(text):
        raw = m.group("num") or m.group("num2") or m.group("num3")
        if not m.group("num3") and _CREW_BEFORE.search(text[max(0, m.start() - 6) : m.start()]):
            continue
        if CORRECTED_AWAY.search(text[: m.start()]):
            continue  # "不是九十人 他们现在三百五十来人": the head count being corrected away
        raw = _APPROX_PAIR.sub(lambda p: p.group(0)[0], raw).replace("几", "三")
        if raw[0] in "百千万":
            raw = "一" + raw  # "上千号人"
        value = parse_plain_number(raw)
        if value is None:
            continue
        if value < 20:
            continue
        return "small" if value < 100 else "medium" if value < 1000 else "large"
    return None


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION.search(text[max(0, start - 3) : start]))


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return tuple(seen)


_DEPARTMENTS = sorted(
    ((squash(word), persona) for persona, words in DEPARTMENT_PERSONAS.items() for word in words),
    key=lambda dp: -len(dp[0]),
)
_GENERIC_TITLES = tuple(sorted((squash(t) for t in GENERIC_TITLES), key=len, reverse=True))


def _by_department(personas: list[tuple[str, int, int]], text: str) -> list[tuple[str, int, int]]:
    """A generic title ("部长", "主任") typed after a department in the same clause takes that
    department's persona: "生产运营部的部长" is the production side, "信息中心的白主任" IT.  A
    title the tables spell out with its department ("设备部长", "生产科长") keeps its own."""
    out = list(personas)
    for title in _GENERIC_TITLES:
        at = text.find(title)
        while at >= 0:
            end = at + len(title)
            clause = re.split(r"[\s，,。；;！!？?]", text[max(0, at - 10) : at])[-1]
            dept = next(
                (persona for word, persona in _DEPARTMENTS if word in clause and not clause.endswith(word + "说")),
                None,
            )
            covering = [p for p in out if p[1] <= at and end <= p[2]]
            specific = any(p[2] - p[1] > len(title) + 1 for p in covering)  # "设备部长", "机电副矿长"
            if dept is not None and not specific:
                out = [p for p in out if p not in covering] + [(dept, at, end)]
            at = text.find(title, end)
    return sorted(out, key=lambda p: p[1])


def _whole_suffix(norm: str, start: int, end: int) -> int:
    """Where a company name found up to ``end`` really ends: a shortest match may stop inside a
    longer suffix ("洛阳豫重机" of "洛阳豫重机械": 重机, then 机械)."""
    for more in (2, 1):
        tail = norm[end : end + more]
        cjk = len(tail) == more and all("\u4e00" <= ch <= "\u9fff" for ch in tail)
        if cjk and _LOOSE_SUFFIX.search(norm[start : end + more]):  # (the pattern ends the text)
            return end + more
    return end


def _found(text: str, words: Sequence[str]) -> list[tuple[str, int]]:
    """Each occurrence of each of ``words`` in ``text``, with where it starts."""
    out = []
    for w in words:
        at = text.find(w)
        while at >= 0:
            out.append((w, at))
            at = text.find(w, at + 1)
    return out


# The end of a registered name: "…有限责任公司", "…股份有限公司", "…集团有限公司".
_REGISTERED_END = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团公司)")
_MAX_REGISTERED_CHARS = 20


def _tail_of(name: str) -> str:
    m = _REGISTERED_END.search(name)
    return name[m.start() :] if m else ""


def _registered_name(norm: str) -> str | None:
    """A registered name typed whole, from the words that introduce it to its "…有限公司":
    "客户是新疆天润煤化有限责任公司", "去了安宁市的云磷化工集团有限公司" -> 云磷化工集团有限公司,
    "见的是鲁钢集团济南特钢有限公司" (a group's company under it, named in full)."""
    m = _REGISTERED_END.search(norm)
    if m is None:
        return None
    start = m.start()
    while start > 0 and m.end() - start < _MAX_REGISTERED_CHARS and "\u4e00" <= norm[start - 1] <= "\u9fff":
        start -= 1
    chunk = norm[start : m.start()]
    cuts = [at + len(w) for w in _BEFORE_REGISTERED if (at := chunk.rfind(w)) >= 0]
    stem = chunk[max(cuts, default=0) :]
    return stem + norm[m.start() : m.end()] if len(stem) >= 3 else None


def _with_registered_tail(name: str, norm: str) -> str:
    """The registered tail typed after a name found without it: "湖南金石重工机械" + 有限责任公司,
    "辽宁沈机重工" + 集团, "津汽模具" + 技术有限公司."""
    at = norm.find(name)
    if at < 0:
        return name
    tail = _REGISTERED_TAIL.match(norm, at + len(name))
    return name + tail.group(0) if tail else name


def _registered_in_full(name: str, norm: str, places: AliasTable) -> str:
    """A registered name ("…有限公司") as typed, with the city or province it starts with:
    "台州市黄岩立峰模塑有限公司", "银川市塞上清源水务集团有限公司" (the patterns stop at a place, and
    at a character that is also a measure word: "台州东港发电有限公司" was found as "州东港…");
    the words that introduce it ("全称是", "客户", "叫", "…的") are not part of it."""
    if not name.endswith("公司") or name.isascii():
        return name
    end = norm.find(name)
    if end < 0:
        return name
    end += len(name)
    start = end - len(name)
    while start > 0 and not norm[start - 1].isspace() and norm[start - 1] not in _CLAUSE_MARKS:
        start -= 1
    chunk = norm[start:end]
    lead = len(chunk) - len(name)  # the words before the name found, where an introduction may end
    cuts = [at + len(w) for w in _BEFORE_REGISTERED if (at := chunk.rfind(w, 0, lead + len(w) - 1)) >= 0]
    full = chunk[max(cuts, default=0) :]
    added = len(full) - len(name)
    place_cut = added == 1 and any(s == 0 and e > added for _, s, e in find_all(full, places))
    return full if full.endswith(name) and (2 <= added <= 8 or place_cut) else name


def _customer_name(norm: str, raw: str) -> str | None:
    m = _CUSTOMER_NAME.search(norm)
    if m:
        name = m.group("name")
        called = norm[m.start() : m.start("name")]
        shouted = m.start() > 0 and norm[m.start() - 1] in "呼喊大尖" and called.startswith("叫")
        a_word = (
            name in {"什么", "啥", "啥名", "什么名字"}
            or _NOT_A_NAME.match(name)
            or _A_ROLE.search(name)
            or _A_ROLE_CALLED.search(name)
        )
        if not a_word and not shouted:
            # Keep the user's own casing for Latin letters.
            start = norm.find(name)
            return _original_span(raw, norm, start, len(name)) or name
    m = _COMPANY_NAME.search(norm)
    if (
        m
        and not _ASKED_KIND.search(norm[max(0, m.start() - 3) : m.end()])  # "有没有食品厂搞节能的案例"
        and re.search(r"客户|叫|是", norm[: m.start() + 1] or norm)
        and not _TRADE_VERB.match(m.group("name"))
        and not _trade_before(norm, m.start())
    ):
        return m.group("name")
    m = _STANDALONE_NAME.search(norm)
    if m:
        return m.group("name")
    return None


def _trade_before(norm: str, start: int) -> bool:
    """A trade verb right before the word ("做工程机械的", "搞精密机械"): what the customer makes."""
    return bool(_TRADE_VERB_BEFORE.search(norm[max(0, start - 2) : start]))


def _bare_hourly_loss(n: NumberMention, before: str, after: str) -> bool:
    """A figure without a money unit stated as what an hour of downtime loses ("每小时损失5000",
    "停一小时亏8000", "停一小时 按他们财务算的4500"): a yuan amount (a count or a duration has its
    own unit)."""
    return (
        not n.is_money
        and n.unit == ""
        and n.value >= MIN_BARE_MONEY
        and bool(_PER_HOUR.search(before) or _PER_HOUR_AFTER.match(after))
        and bool(_LOSS_WORD.search(before) or _DOWNTIME.search(before))
    )


def _bare_labour_cost(n: NumberMention, before: str) -> bool:
    """A figure without a money unit stated as what manual work costs a month or a year
    ("表计抄录2个人干 一个月九千"): yuan, as with an hour's loss."""
    return (
        not n.is_money
        and n.unit == ""
        and n.value >= MIN_BARE_MONEY
        and bool(_LABOUR.search(before))
        and bool(_MONTH.search(before) or _YEAR.search(before))
    )


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
    last_hours_end = 0
    # The slot each kind of figure (money, hours, count) went to last: a figure restated after a
    # slip ("五万 不对 是七万") replaces it.
    last_key: dict[str, str] = {}

    def put(key: str, value: str | int | Decimal, kind: str, *, first: bool = False) -> None:
        if first and key in out:
            return
        out[key] = value
        last_key[kind] = key

    for n in numbers:
        # Context: this clause only, and nothing before the previous money figure
        # ("每小时损失2万，订单30万": the order amount does not see "每小时").
        start = max(0, n.start - 12, last_money_end)
        before = _CLAUSE_BREAK.split(text[start : n.start])[-1]
        after = _CLAUSE_BREAK.split(text[n.end : n.end + 8])[0]
        clause = _CLAUSE_BREAK.split(text[: n.start])[-1]  # the whole clause before the figure
        kind = "money" if n.is_money else "hours" if n.unit in _HOUR_UNITS else "count"
        if n.is_money:
            last_money_end = n.end
        if CORRECTED_AWAY.search(before) or _TAKEN_BACK_AFTER.match(text[n.end : n.end + 8]):
            continue  # "不是六十万 是九十万", "之前说的三百台不算数了": the figure taken back
        if _OTHER_PLANT.search(clause):
            continue  # "隔壁厂用的博远 装了四百多个传感器": not this customer's
        hour_of_a_rate = kind == "hours" and (n.value <= 1 or _hour_of_a_rate(before, after))
        if _RESTATED_BEFORE.search(text[max(0, n.start - 14) : n.start]) and kind in last_key and not hour_of_a_rate:
            key = last_key[kind]
            value: str | int | Decimal = n.value
            if key == "device_count":
                value = int(n.value)
            elif key in ("downtime_hours_per_month", "labour_cost_per_month") and _YEAR.search(before):
                value = _per_month(n.value)
            put(key, value, kind)
            continue
        if n.is_money and _REVENUE_BEFORE.search(before):
            continue  # "年产值两个亿": a size, read by _scale_from_revenue
        if _COMPUTED_BEFORE.search(before):
            continue  # "我自己算出来210万 对不对": the caller's own sum to check, not a sale
        if n.unit in _HOUR_UNITS:
            # The time words of this figure: back to the previous figure in hours, not before it
            # ("不是一个月30小时 是一年30小时": the second is yearly).
            own = text[max(0, n.start - 12, last_hours_end) : n.start]
            wide = _CLAUSE_BREAK.split(text[max(0, n.start - 24, last_hours_end) : n.start])[-1]
            last_hours_end = n.end
            # ("一个月停机16个小时 停一个小时损失九千": one hour is a month's only when the month is
            # said with it, not in the words typed before a space)
            if _hour_of_a_rate(before, after) or (n.value <= 1 and not _MONTH.search((before.split() or [""])[-1])):
                continue
            if _NOT_DOWNTIME_BEFORE.search(own) or _NOT_DOWNTIME_AFTER.match(text[n.end : n.end + 4]):
                continue  # "设备一年运行八千小时", "计划检修一个月十六个小时", "二十四小时连续生产"
            yearly = (_YEAR.search(own) and not _MONTH.search(own)) or (
                _YEAR_WIDE.search(wide) and not _MONTH.search(wide)
            )
            if yearly:
                put("downtime_hours_per_month", _per_month(n.value), kind)
            elif _MONTH.search(own) or _DOWNTIME.search(own + after):
                put("downtime_hours_per_month", n.value, kind)
            continue
        if _WELLS_AFTER.match(text[n.end : n.end + 8]) or (
            text[n.end : n.end + 1] == "口" and _VESSELS_BEFORE.search(before)
        ):
            if n.value >= 2 and n.value == n.value.to_integral_value():
                # "三百来口抽油机井", "染缸八十口": wells and vats, not ports
                put("device_count", int(n.value), kind, first=not _TOTAL_BEFORE.search(before))
            continue
        if text[n.end : n.end + 1] == "路" and _POINTS_BEFORE.search(before) and n.value >= 2:
            put("device_count", int(n.value), kind, first=True)  # "测点要上240路": so many points
            continue
        if _MEASURE_AFTER.match(text[n.end : n.end + 3]) and not n.currency and n.unit not in ("台", "套", "副"):
            # ("一百二十台平车": counted in 台, so 平 is a machine's name, not square metres)
            if text[n.start : n.end].endswith("个") and text[n.end : n.end + 1] == "点" and _INSTALLED.search(before):
                put("device_count", int(n.value), kind)  # "先装30个点", "第一期60个点": measuring points installed
            continue
        if n.unit == "块" and (_METER_AFTER.match(after) or _METER_BEFORE.search(before)):
            if n.value >= 2 and n.value == n.value.to_integral_value():
                put("device_count", int(n.value), kind, first=True)  # "一百二十块表": meters, not yuan
            continue
        if _bare_hourly_loss(n, before, after):
            put("downtime_cost_per_hour", n.value, "money")  # "每小时损失5000": a loss per hour is money
            continue
        if is_bare_sales(n, text):
            out.setdefault("amount", n.value)  # "再卖3500能拿多少": a figure sold is money
            continue
        if _bare_labour_cost(n, before) and not _PAYROLL.search(clause):
            value = n.value
            if _YEAR.search(before) and not _MONTH.search(before):
                value = _per_month(value)
            put("labour_cost_per_month", value, "money")
            continue
        if n.is_money:
            if _NOT_SALES.match(after) or _PAYMENT_BEFORE.search(before):
                continue
            per_hour = bool(_PER_HOUR.search(before) or _PER_HOUR_AFTER.match(after))
            prev = _clause_before(text, n.start)
            if not per_hour and _LOSS_WORD.search(before[-4:]) and _PER_HOUR.search(_wide_clause(text, n.start)):
                per_hour = True  # "停一个小时 少出煤 折下来亏个六十万": the hour said further back
            if not per_hour and _LOSS_WORD.search(before) and _PER_HOUR.search(prev) and _DOWNTIME.search(prev):
                per_hour = True  # "岸桥停一个小时影响船期，损失大概六万": the hour in the clause before
            if per_hour:
                if _FEE_BEFORE.search(before) and not _LOSS_WORD.search(before):
                    continue  # "外包维修师傅一小时八十块": a fee, not a loss
                put("downtime_cost_per_hour", n.value, kind)
            elif _LABOUR.search(before) or (_MONTH.search(before) and _LABOUR.search(prev[-8:])):
                # ("外请工程师的差旅费，一个月平均四万": the cost named in the clause before)
                if _PAYROLL.search(clause):
                    continue  # "全厂工资总额一年一个多亿": the wage bill, not work a product saves
                value = n.value
                if _YEAR.search(before) and not _MONTH.search(before):
                    value = _per_month(value)
                put("labour_cost_per_month", value, kind)
            elif _DOWNTIME.search(before) and re.search(r"损失|亏", before + after):
                continue
            else:
                out.setdefault("amount", n.value)
            continue
        is_device = (
            n.unit in ("台", "套", "副")  # "要三十副": AR glasses come in pairs
            or _DEVICE_NOUN.match(text[n.end - len(n.unit) : n.end + 6])
            or ((n.unit == "个" or text[n.start : n.end].rstrip().endswith("个")) and _DEVICE_BEFORE.search(before))
            or (text[n.start : n.end].endswith("个") and _DEVICE_KIND.match(text[n.end : n.end + 10]))
            or (text[n.start : n.end].endswith("个") and _FLEET_AFTER.match(text[n.end : n.end + 10]))  # "二十个发酵罐"
            # "ap要20个", "要30个vb500": so many of the product ordered, the measure word ending a
            # clause or followed by the model (masked to spaces in ``text``)
            or (
                text[n.start : n.end].rstrip().endswith("个")
                and (not after.strip() or after[0].isspace() or text[n.end - 1].isspace())
                and (_ORDER_BEFORE.search(before) or _INSTALLED.search(before))
            )
        )
        if (
            not is_device
            and text[n.start : n.end].rstrip().endswith("个")
            and _ONE_EACH_AFTER.match(text[n.end : n.end + 16])
        ):
            is_device = True  # "32个站 一站一台", "60个屋顶电站 每个配电房放一台": one device per site
        if is_device and n.value >= 2 and n.value == n.value.to_integral_value():
            if _COUNT_EXPLAINED_AWAY.match(text[n.end : n.end + 16]):
                continue  # "更正一下 56台只是一个厂的 七个厂加起来是188台": not the count meant
            # "不对 是14台 还有两台回火炉没算": the first count is the fleet, later ones its parts,
            # unless a later one is named the total ("十一个加压泵站 泵一共56台")
            put("device_count", int(n.value), kind, first=not _TOTAL_BEFORE.search(before))
    return out


def _per_month(yearly: Decimal) -> Decimal:
    """A yearly figure as a month's, to the cent ("一年停60个小时" -> 5, "一年50万" -> 41666.67)."""
    return (yearly / MONTHS_PER_YEAR).quantize(Decimal("0.01")).normalize()


def _hour_of_a_rate(before: str, after: str) -> bool:
    """The hours of a rate, not a duration: "停一小时损失九千", "每小时" (a loss asked for, as in
    "两百四十小时 损失多少他们没写", is no rate)."""
    return bool(_RATE_AFTER_HOURS.match(after) or re.search(r"每\s*$", before))


def _clause_before(text: str, end: int) -> str:
    """The clause before the one ``end`` is in ("差旅费" of "差旅费，一个月平均四万")."""
    parts = _CLAUSE_BREAK.split(text[max(0, end - 40) : end])
    return parts[-2] if len(parts) >= 2 else ""


def _wide_clause(text: str, end: int) -> str:
    """Up to 20 characters before ``end``, within its clause."""
    return _CLAUSE_BREAK.split(text[max(0, end - 20) : end])[-1]
