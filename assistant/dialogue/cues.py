"""Hand-written cue words and patterns that the intent classifier sees as flags.

None of these decide an intent on their own: each becomes a feature (``f:cue_rebate``,
``f:ask_person``...) and the classifier weighs it against the wording.  The lists
describe how sales staff talk about each task in general (written for this module,
not lifted from the labelled evaluation set); the off-topic lexicon names everyday
topics by category, so an utterance about the weather, a visa or a spreadsheet
looks off-topic whatever its exact words.
"""

from __future__ import annotations

import re

# Everyday topics the assistant does not cover, by category.
OFFTOPIC_WORDS: tuple[str, ...] = (
    # weather, food, leisure
    "天气",
    "下雨",
    "下雪",
    "气温",
    "台风",
    "雾霾",
    "吃饭",
    "午饭",
    "晚饭",
    "早饭",
    "宵夜",
    "外卖",
    "餐厅",
    "饭店",
    "好吃",
    "菜谱",
    "做菜",
    "奶茶",
    "咖啡",
    "火锅",
    "电影",
    "电视剧",
    "综艺",
    "游戏",
    "小说",
    "音乐",
    "唱歌",
    "ktv",
    "旅游",
    "景点",
    "度假",
    "好玩",
    "周末去",
    "钓鱼",
    "健身",
    "减肥",
    "跑步",
    "足球",
    "篮球",
    "球赛",
    "世界杯",
    "星座",
    "算命",
    # travel and transport
    "酒店",
    "民宿",
    "机票",
    "航班",
    "高铁",
    "火车票",
    "车票",
    "动车",
    "签证",
    "护照",
    "打车",
    "地铁",
    "堵车",
    "限行",
    "违章",
    "驾照",
    "罚单",
    "停车场",
    "导航",
    "还有票",
    "买票",
    "订票",
    "抢票",
    "改签",
    "退票",
    # family, health, private life
    "孩子",
    "小孩",
    "带娃",
    "老婆",
    "老公",
    "女朋友",
    "男朋友",
    "相亲",
    "结婚",
    "婚礼",
    "生日",
    "礼物",
    "宠物",
    "医院",
    "看病",
    "感冒",
    "发烧",
    "咳嗽",
    "失眠",
    "体检",
    "牙疼",
    "挂号",
    "心情",
    "脾气",
    "吵架",
    "失恋",
    "无聊",
    # personal money
    "股票",
    "基金",
    "理财",
    "彩票",
    "房贷",
    "车贷",
    "房价",
    "买房",
    "租房",
    "房租",
    "信用卡",
    "个税",
    "社保",
    "公积金",
    "月薪",
    "年终奖",
    "贷款",
    "比特币",
    "利率",
    # HR and office admin
    "请假",
    "报销",
    "差旅",
    "年假",
    "放假",
    "调休",
    "加班费",
    "考勤",
    "打卡",
    "跳槽",
    "招聘",
    "面试",
    "简历",
    "辞职",
    "离职",
    "年会",
    "团建",
    "周报",
    "年终总结",
    "述职",
    "工资条",
    "注册公司",
    "营业执照",
    # office IT, apps, homework
    "excel",
    "word",
    "ppt",
    "wps",
    "透视表",
    "打印机",
    "复印机",
    "投影仪",
    "笔记本",
    "蓝屏",
    "重装系统",
    "杀毒",
    "电脑中毒",
    "wifi密码",
    "宽带",
    "微信",
    "抖音",
    "淘宝",
    "拼多多",
    "快递",
    "翻译",
    "作文",
    "写诗",
    "作诗",
    "写首",
    "笑话",
    "谜语",
    "脑筋急转弯",
    "数学题",
    "作业",
    "抠图",
    "修图",
    "剪视频",
    # public administration
    "政府",
    "社区",
    "派出所",
    "户口",
    "身份证",
    # general IT and programming, outside the products
    "k8s",
    "kubernetes",
    "sql",
    "javascript",
    "前端",
    "后端",
    "面试题",
    "算法题",
    "虚拟机",
    "显卡",
    "内存条",
    "装系统",
    "进程",
    "mysql",
    "nginx",
    "redis",
    "java",
    "c语言",
    "域名",
    "网站备案",
    "耳机",
    "显示器",
    "键盘",
    "鼠标",
    "iphone",
    "安卓手机",
    # goods the company does not make
    "机器人",
    "机械臂",
    "变频器",
    "伺服",
    "逆变器",
    "光伏板",
    "光伏组件",
    "ups",
    "空调",
    "冰箱",
    "洗衣机",
    "电视",
    "无人机",
    "叉车",
    "手机",
    "平板电脑",
    "监控摄像头",
    "门禁",
    "考勤机",
    "路由器",
    "crm",
    "erp",
    "oa系统",
)

# The partner's business with us (orders, invoices, terms): never off-topic, though the words
# are everyday ones.
TRADE_WORDS: tuple[str, ...] = (
    "发票",
    "专票",
    "普票",
    "开票",
    "税率",
    "税点",
    "含税",
    "合同",
    "付款",
    "账期",
    "货期",
    "交期",
    "发货",
    "下单",
    "订货",
    "报备",
    "样机",
    "退换货",
    "返修",
    "代理商",
    "经销商",
    "渠道",
)

# Automation, IT and consumer brands that are neither ours nor tracked competitors.
OTHER_BRANDS: tuple[str, ...] = (
    "西门子",
    "三菱",
    "欧姆龙",
    "施耐德",
    "abb",
    "罗克韦尔",
    "ab罗克韦尔",
    "台达",
    "汇川",
    "倍福",
    "研华",
    "霍尼韦尔",
    "艾默生",
    "横河",
    "博世",
    "贝加莱",
    "基恩士",
    "松下",
    "安川",
    "发那科",
    "库卡",
    "和利时",
    "中控",
    "信捷",
    "正泰",
    "德力西",
    "菲尼克斯",
    "魏德米勒",
    "华为",
    "小米",
    "苹果",
    "联想",
    "戴尔",
    "海康",
    "大华",
    "思科",
    "华三",
    "h3c",
    "用友",
    "金蝶",
    "sap",
    "钉钉",
    "飞书",
)

# Asking for a person: "找个专家", "给我接技术支持", "派人来", "转人工".
ASK_PERSON = re.compile(
    r"(?:找|叫|派|约|接|转|联系|请|喊|拉|安排|申请|要|给我|帮我|来)\s*(?:个|一个|一位|位|一下|下|几个|你们)?"
    r"[\u4e00-\u9fffa-z]{0,8}?"
    r"(?:专家|工程师|技术支持|售前|售后|客服|人工|真人|研发|同事|经理|师傅|懂行|个人|人来|人过来|人上门|人去|的人|技术员)"
    r"|转人工|人工客服|远程(?:帮|协助|看|连|支持|指导|调试)"
)
# Asking how the support process works rather than asking for it now.
PROCESS_QUESTION = re.compile(
    r"怎么(?:叫|找|约|申请|联系|收费|安排|走)|如何|流程|手续|要提前|需要提前|提前多久|多久能|几点|时段|有人吗|"
    r"收费|收钱|费用|要钱|免费吗|算不算|能不能.{0,6}(?:全程|上门)|要不要.{0,4}(?:约|预约)|之前.{0,6}(?:准备|备好)|"
    r"前.{0,4}(?:准备|备好|先)|一般|规定|可以吗"
)
# The salesperson is stuck and wants help now.
STUCK = re.compile(
    r"还是不行|还是不通|还是不好|还是没|都试了|试过了|试了.{0,4}不行|没用|不管用|搞不定|弄不好|弄不了|解决不了|回答不了|"
    r"答不上|不会弄|没辙|急|催|等不了|停着|等着|马上|现在就|赶紧|立刻|尽快"
)
# "你们有没有 X 卖", "卖不卖 X", "有 X 吗": a product question that names none of ours.
SELL_ASK = re.compile(
    r"卖不卖|有没有.{0,10}卖|有卖|能买|代理不代理|做不做|你们(?:家)?(?:有|卖|做|代理)|推荐(?:个|一个|款|一款|几个)"
)
# The caller's own figures: "我的返利", "我们这季", "我排第几".
MINE = re.compile(r"我|咱|俺|本公司|我司|我们")
# A money or rank question about the caller's account.
ACCOUNT_QUESTION = re.compile(
    r"多少钱|多少了|能拿|拿多少|拿到|多拿|给了|到账|出来了|出来没|出了没|排第|排老几|排名|第几档|哪一?档|还差|差多少|掉档|"
    r"累计|一共|算了多少|算没算|没算|漏算|少算|能到|冲到|再卖|再签|对账单|"
    r"(?:返利|返点|返现|补贴|激励|奖励)(?:能|有|是|拿|给|发|到)?(?:多少|几)"
)
# A rule or policy question: "返利怎么算", "档位怎么划", "补贴有封顶吗".
RULE_QUESTION = re.compile(
    r"规则|政策|怎么(?:算|划|分|定|计|申请|发|结)|咋(?:算|划|分|定)|算法|公式|区别|是什么|什么意思|啥意思|有封顶|封顶|上限|"
    r"门槛|条件|标准(?!版|网关|型|款)|比例|几个点|怎么样才|哪些.{0,4}(?:算|能)|会不会.{0,6}(?:影响|算)|影响|依据|培训|课程|文档|说明"
)
# Asking for a value: "多少", "几个", "多大", "支持…吗".
VALUE_QUESTION = re.compile(
    r"多少|几[个路口台种位档年秒度伏瓦米点]?|多大|多重|多长|多久|多远|多高|多宽|多快|多厚|哪些|哪几|是否支持|支持.{0,12}[吗不没]"
)

# Asking how to do something (a procedure), not for a value: "波特率怎么改", "在哪里设",
# "户外装要注意啥".  Set against a product or a parameter word it marks a knowledge question.
PROCEDURE = re.compile(
    r"怎么(?:改|配|设|弄|装|接|调|处理|办|搞|做|操作|升级|刷|恢复|填|查|进|连|登|开|关|切|备份|排查)|"
    r"咋(?:改|配|设|弄|装|接|调|办|整|搞|处理|切|刷)|如何|在哪(?:里|儿)?(?:改|设|配|填|看|调|开|切|下载)|"
    r"要注意|注意(?:点|些)?(?:啥|什么)|步骤|要不要"
)

# -- customer-fact words the corpus vocabulary lacks ------------------------------------
# The NLU adds these to the lexicon's tables (a word the corpus already maps keeps its
# corpus value); canonical values as in corpus/vocab.yaml and eval/data/README.md.

# Areas spanning several provinces of one region, and cities the province table misses.
EXTRA_REGION_WORDS: dict[str, tuple[str, ...]] = {
    "华东": (
        "长三角",
        "江浙沪",
        "江浙",
        "苏浙",
        "苏南",
        "苏北",
        "苏中",
        "浙北",
        "浙南",
        "浙东",
        "皖南",
        "皖北",
        "鲁南",
        "鲁西",
        "胶东",
        "华东区",
        "吴江",
        "太仓",
        "宜兴",
        "溧阳",
        "海宁",
        "桐乡",
        "诸暨",
        "乐清",
        "瑞安",
        "永康",
        "萧山",
        "余杭",
        "亳州",
        "宿州",
        "黄山",
        "池州",
        "淮北",
    ),
    "华南": (
        "珠三角",
        "两广",
        "广深",
        "闽南",
        "粤东",
        "粤西",
        "粤北",
        "潮汕",
        "大湾区",
        "华南区",
        "番禺",
        "花都",
        "虎门",
        "潮州",
        "梅州",
        "河源",
        "汕尾",
        "阳江",
        "云浮",
        "贵港",
        "百色",
        "河池",
        "儋州",
    ),
    "华北": ("京津冀", "京津", "华北区", "雄安", "滨海新区", "呼市", "乌兰察布", "巴彦淖尔", "忻州"),
    "华中": (
        "两湖",
        "中原",
        "华中区",
        "黄冈",
        "咸宁",
        "随州",
        "恩施",
        "怀化",
        "邵阳",
        "永州",
        "张家界",
        "漯河",
        "信阳",
        "三门峡",
        "抚州",
        "鹰潭",
    ),
    "西南": (
        "川渝",
        "成渝",
        "云贵川",
        "云贵",
        "西南区",
        "西藏",
        "拉萨",
        "遂宁",
        "眉山",
        "广安",
        "雅安",
        "广元",
        "丽江",
        "铜仁",
        "黔东南",
    ),
    "西北": ("大西北", "西北区", "关中", "安康", "商洛", "武威", "平凉", "定西", "中卫", "固原", "阿克苏", "吐鲁番"),
    "东北": ("东三省", "东北三省", "关外", "东北区", "阜新", "白山", "白城", "辽源", "绥化", "黑河", "伊春"),
}

# Everyday words for an industry ("做乳品的", "制衣厂", "工程机械").
EXTRA_INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "汽车制造": ("汽车配件", "汽车部件", "线束厂", "车企"),
    "电子制造": ("晶圆", "电子元器件", "电子加工", "贴片厂"),
    "食品饮料": ("乳品", "奶粉", "酒业", "酿酒", "酒企", "肉联厂", "面粉厂", "食品加工", "饮料企业", "茶饮"),
    "制药": ("药品", "医药企业", "制药企业"),
    "化工": ("化学品", "化工企业", "日化"),
    "钢铁冶金": ("不锈钢", "铝材", "铜材", "冶炼厂", "钢企"),
    "电力能源": ("发电厂", "供热", "热力公司", "光伏企业"),
    "水务": ("水务局", "污水处理厂", "净水厂", "排水"),
    "纺织": ("制衣", "成衣", "家纺", "纱厂", "鞋服"),
    "物流仓储": ("物流中心", "仓储中心", "冷链物流"),
    "矿山": ("煤业", "煤炭", "选煤厂", "矿业集团"),
    "机械加工": ("工程机械", "轴承厂", "数控加工", "机加厂"),
}

# Job titles of the person the salesperson deals with (persona values as in the README).
EXTRA_PERSONA_WORDS: dict[str, tuple[str, ...]] = {
    "tech_decision_maker": (
        "设备处",
        "设备处长",
        "机动处",
        "机动科",
        "电气工程师",
        "仪表工程师",
        "电气主管",
        "仪表主管",
        "技术副总",
        "技术厂长",
        "总工办",
    ),
    "roi_manager": ("生产经理", "生产厂长", "总裁", "老板娘", "财务总监", "财务经理", "投资方", "股东"),
    "procurement": ("采购部", "采购经理", "采购员", "物资部", "商务部"),
    "operator": ("车间主任", "机修", "操作人员", "值班员", "仪表工", "维保人员"),
    "it_security": ("信息科", "信息科长", "数字化部", "it主管", "网管"),
}

# Scale wording beyond "小型/中型/大型" (head counts are read by the NLU itself).
EXTRA_SCALE_WORDS: dict[str, tuple[str, ...]] = {
    "small": ("规模比较小", "规模很小", "规模挺小", "体量小", "体量不大", "小微企业", "小本生意"),
    "medium": ("不大不小", "中等体量", "体量中等", "中不溜", "腰部企业"),
    "large": ("规模挺大", "规模比较大", "规模不小", "体量大", "体量很大", "体量不小", "大集团"),
}
