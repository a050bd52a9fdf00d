"""Dictionaries the NLU generates from the corpus.

Everything here is derived from ``Corpus`` (product ids, names and the
abbreviations people type for them, product lines, vocab industries, regions and
competitors, parameter names) plus a few hand-written cue lists that do not
belong to any corpus entry (persona titles, scale words, parameter synonyms).

Matching works on a *squashed* form of the text: NFKC, lower-case, with spaces
and the separators ``- _ . / ·`` removed, so "EG 2100 Pro", "eg-2100pro" and
"eg2100pro" look the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from assistant.content.loader import Corpus
from assistant.retrieval.tokenizer import normalize

_SEPARATORS = re.compile(r"[\s\-_./·]+")
_ALNUM = re.compile(r"[a-z0-9]")


def squash(text: str) -> str:
    """Normalised text without spaces and separators ("EG-2100 Pro" -> "eg2100pro").

    A separator between two digits becomes "|" so "3200 5台" does not read as "32005台"."""
    return _SEPARATORS.sub(_squash_sep, normalize(text))


def cjk_pairs(text: str) -> list[str]:
    """Every two adjacent Chinese characters of ``text``: words without a word segmenter
    (jieba cuts descriptions and symptoms unreliably: "开机率" -> "算开", "机率")."""
    return [text[i : i + 2] for i in range(len(text) - 1) if all("\u4e00" <= ch <= "\u9fff" for ch in text[i : i + 2])]


def _squash_sep(m: re.Match[str]) -> str:
    s, e = m.start(), m.end()
    text = m.string
    if s > 0 and e < len(text) and text[s - 1].isdigit() and text[e].isdigit():
        return "|"
    return ""


# Persona cue words (job titles and concerns), canonical Persona values.
PERSONA_CUES: dict[str, tuple[str, ...]] = {
    "tech_decision_maker": (
        "技术负责人",
        "技术总监",
        "技术经理",
        "技术决策",
        "技术部",
        "技术主管",
        "总工程师",
        "总工",
        "cto",
        "设备部长",
        "设备经理",
        "设备科长",
        "设备总监",
        "设备主管",
        "设备部",
        "自动化部",
        "自动化经理",
        "自动化工程师",
        "工程部",
        "工艺工程师",
        "技术派",
        "搞技术的",
        "技术那边",
        "技术这边",
        "设备科",
    ),
    "roi_manager": (
        "厂长",
        "老板",
        "总经理",
        "老总",
        "财务",
        "cfo",
        "ceo",
        "管理层",
        "生产总监",
        "生产副总",
        "副总",
        "运营总监",
        "董事长",
        "一把手",
    ),
    "procurement": ("采购", "供应链", "招标", "采招", "商务经理"),
    "operator": (
        "操作工",
        "操作员",
        "一线",
        "班组长",
        "班长",
        "维修工",
        "维修师傅",
        "老师傅",
        "师傅",
        "工人",
        "电工",
        "点检员",
        "巡检员",
        "运维人员",
        "车间主任",
        "班组长",
        "跟班组",
        "现场人员",
    ),
    "it_security": (
        "信息安全",
        "网络安全",
        "信息部",
        "信息中心",
        "信息化",
        "it部",
        "it部门",
        "it负责人",
        "it经理",
        "it总监",
        "it安全",
        "it",
        "cio",
        "网管",
        "安全负责人",
        "安全审核",
    ),
}

# Stage cue words (for ranking scripts by the question's wording).
STAGE_CUES: dict[str, tuple[str, ...]] = {
    "opening": (
        "开场",
        "开场白",
        "开个场",
        "第一次",
        "初次",
        "首次拜访",
        "破冰",
        "自我介绍",
        "怎么开口",
        "打招呼",
        "陌拜",
    ),
    "discovery": ("需求", "挖掘", "摸底", "了解需求", "问什么", "痛点", "调研"),
    "objection": (
        "太贵",
        "贵",
        "异议",
        "顾虑",
        "担心",
        "不同意",
        "嫌",
        "拒绝",
        "反对",
        "疑虑",
        "不放心",
        "竞品便宜",
        "压价",
        "砍价",
        "要折扣",
        "打折",
        "催交期",
        "更便宜",
        "怎么应对",
        "咋应对",
    ),
    "closing": ("成交", "签单", "逼单", "临门一脚", "促单", "拿下", "签合同", "下单", "收尾", "促成"),
}

SCALE_CUES: dict[str, tuple[str, ...]] = {
    "small": ("小型", "小厂", "小企业", "小公司", "规模不大", "规模小", "小规模", "小微", "几十人", "作坊", "小工厂"),
    "medium": ("中型", "中等规模", "中等", "中规模", "中小型", "中型企业", "规模中等", "几百人", "中型厂"),
    "large": (
        "大型",
        "大厂",
        "大企业",
        "集团",
        "龙头",
        "规模很大",
        "规模大",
        "大规模",
        "上千人",
        "几千人",
        "上市公司",
        "头部",
    ),
}

# Colloquial words for parameter-table rows -> a word contained in the row names.
PARAM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "温度": ("宽温", "耐温", "温度", "高温", "低温", "零下", "几度", "多少度", "温度范围"),
    "功耗": ("功耗", "耗电", "功率", "费电", "多少瓦", "几瓦"),
    "重量": ("重量", "多重", "多沉", "几斤", "多少克", "多少公斤", "重不重"),
    "尺寸": ("尺寸", "多大", "体积", "大小", "长宽高", "外形"),
    "防护等级": ("防护等级", "防护", "防水", "防尘", "ip等级", "ip几"),
    "电压": ("电压", "供电", "电源", "几伏", "多少伏", "24v", "12v", "宽压"),
    "串口": ("串口", "rs485", "485", "rs232", "232", "com口"),
    "以太网": ("网口", "以太网", "网卡", "rj45"),
    "协议": ("协议", "modbus", "opcua", "mqtt", "s7", "profinet"),
    "采集点": ("点数", "采集点", "点位", "多少点", "数据点"),
    "续航": ("续航", "待机", "电池", "能用多久"),
    "防爆": ("防爆",),
    "内存": ("内存", "存储", "硬盘", "emmc", "ram"),
    "处理器": ("处理器", "cpu", "芯片", "主频"),
    "缓存": ("断网缓存", "缓存", "断网"),
    "周期": ("采集周期", "周期", "多快", "刷新"),
    "精度": ("精度", "准不准", "误差"),
    "量程": ("量程", "测量范围", "范围"),
    "安装方式": ("安装方式", "导轨", "壁挂"),
    "算力": ("算力", "tops", "npu"),
    "无线": ("无线制式", "4g", "5g", "wifi", "wi-fi", "lora", "nb-iot", "蓝牙"),
    "分辨率": ("分辨率", "像素", "清晰度"),
    "视场角": ("视场角", "fov"),
    "延迟": ("延迟", "时延"),
    "频率": ("频率", "频响"),
    "寿命": ("寿命",),
    "速率": ("速率", "带宽", "网速"),
    "接口": ("接口",),
}


# Everyday words for the vocab's industries, keyed by canonical name (used only
# when that name is in the corpus vocabulary).
EXTRA_INDUSTRY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "汽车制造": ("汽配厂", "车灯", "轮胎", "整车厂", "新能源车", "车身", "冲压厂", "汽车厂", "车厂"),
    "电子制造": ("封测", "电容", "电路板", "线路板", "面板厂", "芯片", "元器件", "电子元件", "smt", "锂电", "电池厂"),
    "食品饮料": (
        "乳企",
        "乳业",
        "奶厂",
        "牛奶",
        "酒厂",
        "白酒",
        "饮品",
        "肉制品",
        "屠宰",
        "烘焙",
        "调味品",
        "糖厂",
        "罐头",
        "饮料厂",
    ),
    "制药": ("药企", "药业", "制剂", "原料药", "疫苗", "中药"),
    "化工": ("煤化工", "化肥", "农药", "涂料", "炼化", "化工企业"),
    "钢铁冶金": ("铝型材", "炼钢", "轧钢", "冶炼", "铸造厂", "钢铁厂", "铜业", "铝厂"),
    "电力能源": ("水电站", "电站", "火电", "核电", "储能", "热电", "电网", "发电", "风电场", "光伏电站"),
    "水务": ("污水站", "污水厂", "水司", "水务集团", "泵站", "净水", "水务公司"),
    "纺织": ("纺纱", "织布", "化纤", "棉纺", "针织", "服饰", "纺织企业"),
    "物流仓储": ("电商仓", "快递", "分拣中心", "配送中心", "立体库", "冷库", "物流园", "仓"),
    "矿山": ("矿上", "矿区", "铁矿", "金矿", "选矿", "露天矿", "矿场"),
    "楼宇园区": ("商场", "综合体", "大楼", "物业", "产业园"),
    "机械加工": ("机加", "加工厂", "钣金", "模具", "阀门厂", "注塑厂", "机械厂"),
    "石油天然气": ("加气站", "油库", "加油站", "炼油", "联合站", "输油", "燃气", "采油"),
}

# Cities by province, so "嘉兴" or "大庆" find the region the vocab gives their
# province (the vocab lists provinces and the largest cities only).
PROVINCE_CITIES: dict[str, tuple[str, ...]] = {
    "上海": ("浦东", "松江", "嘉定", "金山", "青浦", "闵行"),
    "江苏": (
        "徐州",
        "扬州",
        "镇江",
        "南通",
        "泰州",
        "盐城",
        "淮安",
        "连云港",
        "宿迁",
        "昆山",
        "江阴",
        "张家港",
        "常熟",
    ),
    "浙江": ("嘉兴", "湖州", "绍兴", "金华", "温州", "台州", "丽水", "衢州", "舟山", "义乌", "慈溪", "余姚"),
    "安徽": ("芜湖", "蚌埠", "马鞍山", "安庆", "滁州", "阜阳", "淮南", "铜陵", "宣城", "六安"),
    "山东": (
        "烟台",
        "潍坊",
        "淄博",
        "临沂",
        "济宁",
        "威海",
        "日照",
        "东营",
        "泰安",
        "德州",
        "聊城",
        "滨州",
        "菏泽",
        "枣庄",
    ),
    "福建": ("泉州", "漳州", "莆田", "三明", "龙岩", "南平", "宁德", "晋江"),
    "广东": ("珠海", "汕头", "中山", "江门", "惠州", "湛江", "茂名", "肇庆", "清远", "韶关", "揭阳", "顺德"),
    "广西": ("柳州", "桂林", "北海", "玉林", "梧州", "钦州", "防城港"),
    "海南": ("海口", "三亚"),
    "河北": ("保定", "邯郸", "沧州", "廊坊", "邢台", "秦皇岛", "承德", "张家口", "衡水"),
    "山西": ("大同", "长治", "晋城", "临汾", "运城", "阳泉", "朔州", "吕梁", "晋中"),
    "内蒙古": ("内蒙", "呼和浩特", "包头", "鄂尔多斯", "赤峰", "通辽", "乌海", "呼伦贝尔"),
    "湖北": ("宜昌", "襄阳", "荆州", "十堰", "黄石", "孝感", "荆门", "鄂州"),
    "湖南": ("株洲", "湘潭", "岳阳", "衡阳", "常德", "郴州", "益阳", "娄底"),
    "河南": (
        "洛阳",
        "新乡",
        "许昌",
        "平顶山",
        "安阳",
        "焦作",
        "南阳",
        "开封",
        "商丘",
        "周口",
        "驻马店",
        "鹤壁",
        "濮阳",
    ),
    "江西": ("九江", "赣州", "景德镇", "萍乡", "宜春", "上饶", "吉安", "新余"),
    "四川": ("绵阳", "德阳", "宜宾", "泸州", "攀枝花", "自贡", "南充", "乐山", "达州", "内江"),
    "重庆": ("涪陵", "万州", "长寿"),
    "云南": ("曲靖", "玉溪", "大理", "红河", "楚雄", "昭通"),
    "贵州": ("遵义", "六盘水", "安顺", "毕节", "黔南"),
    "陕西": ("宝鸡", "咸阳", "榆林", "延安", "渭南", "汉中", "铜川"),
    "甘肃": ("天水", "白银", "金昌", "酒泉", "嘉峪关", "庆阳", "张掖"),
    "新疆": ("克拉玛依", "库尔勒", "哈密", "昌吉", "石河子", "伊犁", "喀什", "准东"),
    "宁夏": ("银川", "石嘴山", "吴忠", "宁东"),
    "青海": ("西宁", "格尔木"),
    "辽宁": ("鞍山", "抚顺", "本溪", "丹东", "锦州", "营口", "盘锦", "铁岭", "葫芦岛", "辽阳"),
    "吉林": ("吉林市", "四平", "松原", "通化", "延边"),
    "黑龙江": ("大庆", "齐齐哈尔", "牡丹江", "佳木斯", "鸡西", "鹤岗", "双鸭山", "七台河"),
}

# Words that name a product line (eval/data/README.md, "product_line"): a line is read off
# them only when the text names no product of ours.  Technologies several lines use
# (LoRa, 环网, 无线) name none.
LINE_WORDS: dict[str, tuple[str, ...]] = {
    "EG": ("网关", "边缘网关", "工业网关"),
    "SN": ("传感器", "传感气", "工业传感器"),
    "EC": ("控制器", "边缘控制器", "io模块", "ec系列"),
    "MP": ("监测平台", "云眸", "平台", "云平台", "saas"),
    "AR": ("ar", "ar眼镜", "眼镜", "ar远程协助"),
    "CM": ("交换机", "工业通信", "网络方案", "网络设备"),
}

# Names only one catalogue product has (README, "product_model"), keyed by product id.
NAME_ALIASES: dict[str, tuple[str, ...]] = {
    "AR-H5": ("ar安全帽", "安全帽式ar", "安全帽式", "安全帽ar"),
    "SN-CU120": ("电流传感器",),
    "CM-LR1": ("基站", "lora基站"),
    "CM-SW16-PoE": ("16口poe交换机", "16口交换机", "16口网管交换机"),
    "CM-SW8": ("8口交换机", "8口工业交换机"),
    "CM-AP5": ("ap", "无线ap"),
    "EG-3200-5G": ("5g网关",),
    "MP-CLD-STD": ("标准版",),
    "MP-ONP": ("私有化",),
    "MP-OEE": ("oee模块",),
    "MP-PDM": ("pdm模块",),
    "MP-EMS": ("ems模块",),
}

# Vocabulary synonyms that name equipment, a gas or a regulation rather than the customer's
# industry (README, "industry").
NOT_INDUSTRY: frozenset[str] = frozenset({"机床", "天然气", "gmp", "风机", "管道"})


@dataclass(frozen=True, slots=True)
class AliasTable:
    """Squashed alias -> canonical value, longest alias first (ties by alias), indexed by
    the alias's first character: a lookup tries only the aliases that can start in the text."""

    entries: tuple[tuple[str, str], ...]
    _by_first: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[int]] = {}
        for i, (alias, _) in enumerate(self.entries):
            index.setdefault(alias[0], []).append(i)
        object.__setattr__(self, "_by_first", {ch: tuple(rows) for ch, rows in index.items()})

    @classmethod
    def of(cls, table: Mapping[str, str]) -> AliasTable:
        return cls(tuple(sorted(((k, v) for k, v in table.items() if k), key=lambda kv: (-len(kv[0]), kv[0]))))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def candidates(self, text: str) -> list[tuple[str, str]]:
        """The entries whose first character occurs in ``text``, in table order."""
        rows: list[int] = []
        for ch in set(text):
            rows.extend(self._by_first.get(ch, ()))
        rows.sort()
        return [self.entries[i] for i in rows]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Squashed alias -> canonical value, one table per slot."""

    products: AliasTable
    product_lines: AliasTable
    industries: AliasTable
    regions: AliasTable
    competitors: AliasTable
    personas: AliasTable
    stages: AliasTable
    scales: AliasTable
    param_words: AliasTable  # colloquial word -> concept contained in row names
    param_names: frozenset[str]  # squashed row names of every product
    product_line_of: dict[str, str]  # product id -> line id
    competitor_lines: dict[str, frozenset[str]]  # competitor name -> the lines of ours it competes with
    mask_terms: tuple[str, ...]  # squashed domain words that hide industry words inside them

    @classmethod
    def from_corpus(cls, corpus: Corpus) -> Lexicon:
        products: dict[str, str] = {}
        priority: dict[str, int] = {}
        ambiguous: set[str] = set()

        def add(alias: str, pid: str, prio: int) -> None:
            # A lower priority wins (exact id 0, full abbreviation 1, core abbreviation 2);
            # two products claiming an alias at the same priority make it ambiguous.
            alias = squash(alias)
            if len(alias) < 2 or (alias.replace("|", "").isdigit() and len(alias) < 4):
                return
            have = priority.get(alias)
            if have is not None and have < prio:
                return
            if (have == prio and products.get(alias, pid) != pid) or (have == prio and alias in ambiguous):
                products.pop(alias, None)
                ambiguous.add(alias)
                return
            ambiguous.discard(alias)
            products[alias] = pid
            priority[alias] = prio

        generic = {squash(w) for words in LINE_WORDS.values() for w in words}
        for p in corpus.products:
            add(p.id, p.id, 0)
            add(p.name, p.id, 0)
            add(p.name_en, p.id, 0)
            for alias, prio in _product_aliases(p.id):
                add(alias, p.id, prio)
            for alias in _name_variants(p.name):
                if alias not in generic:
                    add(alias, p.id, 3)
            for alias in NAME_ALIASES.get(p.id, ()):
                add(alias, p.id, 1)

        lines: dict[str, str] = {}
        for line in corpus.product_lines:
            for alias in (line.name, line.name_en, f"{line.id}系列", f"{line.id}产品线", line.id):
                lines.setdefault(squash(alias), line.id)
            for alias in LINE_WORDS.get(line.id, ()):
                lines.setdefault(squash(alias), line.id)

        industries: dict[str, str] = {}
        for t in corpus.vocab.industries:
            for alias in (t.name, *t.synonyms, *EXTRA_INDUSTRY_SYNONYMS.get(t.name, ())):
                if squash(alias) not in NOT_INDUSTRY:
                    industries.setdefault(squash(alias), t.name)
        regions: dict[str, str] = {}
        for t in corpus.vocab.regions:
            for alias in (t.name, *t.synonyms):
                regions.setdefault(squash(alias), t.name)
                for city in PROVINCE_CITIES.get(alias, ()):
                    regions.setdefault(squash(city), t.name)
        competitors = {squash(s): t.name for t in corpus.vocab.competitors for s in (t.name, *t.synonyms)}
        for p in corpus.products:
            for c in p.competitors:
                competitors.setdefault(squash(c.competitor), c.competitor)
                competitors.setdefault(squash(c.competitor_model), c.competitor)

        param_names = frozenset(squash(param.name) for p in corpus.products for param in p.params)
        param_words = {squash(w): concept for concept, words in PARAM_SYNONYMS.items() for w in words}
        for name in param_names:
            param_words.setdefault(name, name)

        masks = {squash(p.name) for p in corpus.products}
        masks |= {squash(t) for t in corpus.vocab.terms}
        masks |= {
            "能源管理",
            "能耗管理",
            "电能表",
            "电子围栏",
            "电子邮件",
            "电子签名",
            "管道压力",
            "园区网",
            "车间",
            "仓位",
        }
        return cls(
            products=AliasTable.of(products),
            product_lines=AliasTable.of(lines),
            industries=AliasTable.of(industries),
            regions=AliasTable.of(regions),
            competitors=AliasTable.of(competitors),
            personas=AliasTable.of({squash(w): k for k, ws in PERSONA_CUES.items() for w in ws}),
            stages=AliasTable.of({squash(w): k for k, ws in STAGE_CUES.items() for w in ws}),
            scales=AliasTable.of({squash(w): k for k, ws in SCALE_CUES.items() for w in ws}),
            param_words=AliasTable.of(param_words),
            param_names=param_names,
            product_line_of={p.id: p.line for p in corpus.products},
            competitor_lines=_competitor_lines(corpus),
            mask_terms=tuple(sorted((m for m in masks if len(m) >= 2), key=lambda m: (-len(m), m))),
        )


def _competitor_lines(corpus: Corpus) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for p in corpus.products:
        for c in p.competitors:
            out.setdefault(c.competitor, set()).add(p.line)
    return {name: frozenset(lines) for name, lines in out.items()}


def _product_aliases(pid: str) -> Iterable[tuple[str, int]]:
    """Abbreviations with a priority: "EG-2100-Pro" -> (2100pro, 1), (2100 pro, 1);
    "SN-VB500-Pro" -> (vb500pro, 1), (vb500, 2); "EG-3200-5G" -> (32005g, 1), (3200 5g, 1);
    "EG-2100" -> (2100, 1), which beats EG-2100-Pro's core (2100, 2)."""
    parts = [p for p in re.split(r"[-_]", pid.lower()) if p]
    if len(parts) < 2:
        return
    rest = parts[1:]
    yield "".join(rest), 1  # without the line prefix
    yield "-".join(rest), 1  # "3200-5g" squashes to "3200|5g"
    yield "".join(parts), 1
    core = rest[0]
    if len(rest) >= 2 and re.search(r"\d", core):
        yield core, 2
        yield parts[0] + core, 2


def _name_variants(name: str) -> Iterable[str]:
    """Shorter ways to say a product name: "16 口网管型 PoE 交换机" -> "16口poe交换机";
    "云眸平台 企业版" -> "企业版"; "云眸平台 私有化部署版" -> "私有化部署";
    "电磁流量计" -> "流量计" (an instrument word names the product; "传感器" alone does not)."""
    tokens = normalize(name).split()
    if len(tokens) >= 3:
        for i in range(1, len(tokens) - 1):
            yield "".join(tokens[:i] + tokens[i + 1 :])
    if len(tokens) >= 2 and len(tokens[-1]) >= 3:
        yield tokens[-1]
        if tokens[-1].endswith("版") and len(tokens[-1]) >= 4:
            yield tokens[-1][:-1]
    sq = squash(name)
    if len(sq) >= 4 and sq[-1] in "计表仪" and all("\u4e00" <= ch <= "\u9fff" for ch in sq[-3:]):
        yield sq[-3:]


def find_all(
    squashed: str,
    table: AliasTable,
    *,
    ascii_boundary: bool = True,
    breaks: frozenset[int] = frozenset(),
) -> list[tuple[str, int, int]]:
    """Non-overlapping matches of the table's aliases in ``squashed`` (longest alias wins),
    as (canonical value, start, end) in text order.  An alias that starts or ends with a
    letter or digit must not be glued to another letter or digit ("it" in "edit"), unless
    the user typed a space or separator there (``breaks``: squashed indices after one)."""
    taken = [False] * len(squashed)
    found: list[tuple[str, int, int]] = []
    for alias, value in table.candidates(squashed):
        start = squashed.find(alias)
        while start >= 0:
            end = start + len(alias)
            glued_ok = not ascii_boundary or _boundary_ok(squashed, alias, start, end, breaks)
            if not any(taken[start:end]) and glued_ok:
                found.append((value, start, end))
                for i in range(start, end):
                    taken[i] = True
            start = squashed.find(alias, start + 1)
    found.sort(key=lambda f: f[1])
    return found


def _boundary_ok(text: str, alias: str, start: int, end: int, breaks: frozenset[int]) -> bool:
    # A letter may touch a digit ("5g" + "网关" is fine, "2100" after "eg" is fine) but not its own kind.
    if (
        _ALNUM.match(alias[0])
        and start > 0
        and _ALNUM.match(text[start - 1])
        and alias[0].isdigit() == text[start - 1].isdigit()
        and start not in breaks
    ):
        return False
    if _ALNUM.match(alias[-1]) and end < len(text) and _ALNUM.match(text[end]) and end not in breaks:
        return alias[-1].isdigit() != text[end].isdigit() and not text[end].isdigit()
    return True
