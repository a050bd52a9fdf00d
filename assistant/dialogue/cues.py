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
    r"门槛|条件|标准|比例|几个点|怎么样才|哪些.{0,4}(?:算|能)|会不会.{0,6}(?:影响|算)|影响|依据|培训|课程|文档|说明"
)
# Asking for a value: "多少", "几个", "多大", "支持…吗".
VALUE_QUESTION = re.compile(
    r"多少|几[个路口台种位档年秒度伏瓦米点]?|多大|多重|多长|多久|多远|多高|多宽|多快|多厚|哪些|哪几|是否支持|支持.{0,12}[吗不没]"
)
