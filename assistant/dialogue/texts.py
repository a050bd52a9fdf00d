# ruff: noqa: E501  (a message catalogue: one message per line reads best)
"""Every user-facing string of the dialogue engine, keyed by language.

``text(lang, key, **values)`` formats a message; ``label(lang, group, value)``
names a canonical value (persona, stage, scale, profile field).  Chinese
(simplified) is the default; English is used when ``Caller.language == "en"``.
An unknown language falls back to Chinese.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        # greeting / small talk
        "greeting": "你好！我是渠道销售助手，可以帮你查产品参数、找销售话术和客户案例、查返利，搞不定的问题也可以帮你转接远程专家。",
        "thanks": "不客气！还有什么需要随时问我。",
        # profile
        "profile_ack": "好的，已记下：{facts}。",
        "profile_ack_nothing": "好的，收到。可以告诉我客户的行业、规模、所在地区和对接人，我来帮你找合适的话术和案例。",
        "profile_fact": "{field} {value}",
        # out of scope / unknown
        "out_of_scope": "抱歉，这个问题不在我能回答的范围内，我只负责澜图智联的产品、销售话术、客户案例和返利相关的问题。需要的话我可以帮你联系远程专家。",
        "dont_know": "抱歉，这个问题我在知识库里没有找到可靠的答案，不想给你不准确的信息。需要的话我可以帮你转接远程专家。",
        "low_confidence": "我不太确定你想问的是什么，能换个说法或说得具体一点吗？",
        # knowledge
        "knowledge_intro": "根据资料：",
        "cite_mark": "[{n}]",
        # product params
        "which_product": "请问你问的是哪个型号？比如 {examples}。",
        "param_row": "{product} 的{name}：{value}",
        "param_note": "（{note}）",
        "param_all": "{product}（{name}）的主要参数见下表。",
        "param_missing": "{product} 的参数表里没有找到“{asked}”这一项。",
        "price": "{product} 目录价 ¥{price}/{unit}（{band}），质保 {warranty} 个月。",
        "warranty": "{product} 质保 {warranty} 个月。",
        "sentence_end": "。",
        "joiner": "；",
        # scripts
        "script_intro": "推荐话术《{title}》（{persona}·{stage}）：",
        "script_none": "暂时没有找到合适的话术。告诉我客户的对接人（比如厂长、采购、IT）和产品线，我再帮你找。",
        "script_missing": "补充这些信息后话术会更完整：{fields}。",
        "roi_result": "按每月停机 {hours} 小时、每小时损失 ¥{cost} 估算，预计每年节省约 ¥{saving}，约 {payback} 个月回本（假设停机减少 {reduction}%，来源：{source}）。",
        "roi_missing": "要算投资回报，还需要：{fields}。",
        "roi_undefined": "按目前的数字算不出节省，没法给出回本周期，请核对停机时长和停机损失。",
        "placeholder": "【{field}】",
        "also": "其他可选：{titles}。",
        # cases
        "case_intro": "找到 {n} 个相近的案例：",
        "case_line": "{i}.《{title}》（{customer}）——{why}",
        "case_line_plain": "{i}.《{title}》（{customer}）",
        "case_results": "成效：{results}",
        "case_none": "暂时没有找到相近的案例。告诉我客户的行业、规模和地区，我再帮你找。",
        "why_sep": "，",
        # rebate / handoff
        "rebate_unavailable": "返利查询功能即将上线，目前还不能查你的返利数据。返利政策的说明可以先问我，比如“返利档位怎么划分”。",
        "handoff_unavailable": "远程专家转接功能即将上线，目前还不能在这里直接转接。你可以先把问题描述清楚，我尽量帮你查资料。",
        "skill_failed": "抱歉，{what}暂时出了点问题，请稍后再试。",
        "skill_rebate": "返利查询",
        "skill_handoff": "专家转接",
        # recommendation reasons
        "why_persona": "对象匹配：{persona}",
        "why_stage": "阶段匹配：{stage}",
        "why_line": "产品线：{line}",
        "why_relevant": "与问题相关",
        "why_industry": "同行业：{industry}",
        "why_scale": "规模相近：{scale}",
        "why_region": "同区域：{region}",
        "why_product": "用了同款产品：{product}",
        "why_case_line": "同产品线：{line}",
        "why_pain": "痛点相似：{words}",
        # suggestions
        "sg_cases": "有没有类似的案例",
        "sg_script": "给我推荐一段话术",
        "sg_params": "{product} 的参数",
        "sg_price": "{product} 多少钱",
        "sg_competitors": "{product} 跟竞品比有什么优势",
        "sg_faults": "{product} 常见故障怎么处理",
        "sg_handoff": "转接远程专家",
        "sg_rebate": "这个季度返利多少",
        "sg_rebate_policy": "返利档位怎么划分",
        "sg_profile": "客户是苏州的汽配厂，中型",
        "sg_roi": "每月停机 10 小时，每小时损失 2 万",
        "sg_objection": "客户嫌贵怎么回",
        "sg_case_detail": "这个案例用了哪些产品",
    },
    "en": {
        "greeting": "Hi! I'm your channel-sales assistant: product specs, sales scripts, customer cases, rebates, and a remote expert when you need one.",
        "thanks": "You're welcome! Ask me anytime.",
        "profile_ack": "Got it: {facts}.",
        "profile_ack_nothing": "Got it. Tell me the customer's industry, size, region and contact so I can find scripts and cases.",
        "profile_fact": "{field} {value}",
        "out_of_scope": "Sorry, that is outside what I can help with: I cover LanTu products, sales scripts, customer cases and rebates. I can put you in touch with a remote expert if you like.",
        "dont_know": "Sorry, I could not find a reliable answer in the knowledge base and would rather not guess. I can put you in touch with a remote expert.",
        "low_confidence": "I'm not sure what you mean; could you rephrase or add detail?",
        "knowledge_intro": "From the documentation: ",
        "cite_mark": "[{n}]",
        "which_product": "Which model do you mean? For example {examples}.",
        "param_row": "{product} {name}: {value}",
        "param_note": " ({note})",
        "param_all": "The main specifications of {product} ({name}) are in the table.",
        "param_missing": 'The parameter table of {product} has no entry for "{asked}".',
        "price": "{product} list price ¥{price}/{unit} ({band}), warranty {warranty} months.",
        "warranty": "{product} warranty: {warranty} months.",
        "sentence_end": ".",
        "joiner": "; ",
        "script_intro": 'Suggested script "{title}" ({persona}, {stage}):',
        "script_none": "No matching script yet. Tell me who you are talking to (plant manager, buyer, IT) and the product line.",
        "script_missing": "Fill in these to complete the script: {fields}.",
        "roi_result": "With {hours} h of downtime a month at ¥{cost} an hour, the customer saves about ¥{saving} a year and pays back in about {payback} months (assuming {reduction}% less downtime; source: {source}).",
        "roi_missing": "To compute the ROI I still need: {fields}.",
        "roi_undefined": "These figures give no saving, so there is no payback period; please check the downtime figures.",
        "placeholder": "[{field}]",
        "also": "Other options: {titles}.",
        "case_intro": "{n} similar cases:",
        "case_line": '{i}. "{title}" ({customer}): {why}',
        "case_line_plain": '{i}. "{title}" ({customer})',
        "case_results": "Results: {results}",
        "case_none": "No similar case yet. Tell me the customer's industry, size and region.",
        "why_sep": ", ",
        "rebate_unavailable": "Rebate lookup is coming soon; your rebate data cannot be queried here yet. You can ask me about the rebate policy meanwhile.",
        "handoff_unavailable": "Remote-expert handoff is coming soon and cannot be started here yet. Describe the problem and I will look it up.",
        "skill_failed": "Sorry, {what} is not working right now; please try again later.",
        "skill_rebate": "rebate lookup",
        "skill_handoff": "expert handoff",
        "why_persona": "Audience: {persona}",
        "why_stage": "Stage: {stage}",
        "why_line": "Product line: {line}",
        "why_relevant": "Relevant to the question",
        "why_industry": "Same industry: {industry}",
        "why_scale": "Similar size: {scale}",
        "why_region": "Same region: {region}",
        "why_product": "Same product: {product}",
        "why_case_line": "Same product line: {line}",
        "why_pain": "Similar pain points: {words}",
        "sg_cases": "Any similar cases?",
        "sg_script": "Suggest a script",
        "sg_params": "{product} specifications",
        "sg_price": "{product} price",
        "sg_competitors": "{product} vs competitors",
        "sg_faults": "{product} common faults",
        "sg_handoff": "Talk to a remote expert",
        "sg_rebate": "My rebate this quarter",
        "sg_rebate_policy": "How are rebate tiers defined?",
        "sg_profile": "The customer is a mid-size auto-parts plant in Suzhou",
        "sg_roi": "10 h downtime a month, ¥20,000 an hour",
        "sg_objection": "The customer says it's too expensive",
        "sg_case_detail": "Which products did this case use?",
    },
}

LABELS: dict[str, dict[str, dict[str, str]]] = {
    "zh": {
        "persona": {
            "tech_decision_maker": "技术决策者",
            "roi_manager": "关注回报的管理者",
            "procurement": "采购",
            "operator": "一线操作人员",
            "it_security": "IT/信息安全",
        },
        "stage": {"opening": "开场", "discovery": "需求挖掘", "objection": "异议处理", "closing": "促成成交"},
        "scale": {"small": "小型", "medium": "中型", "large": "大型"},
        "band": {"entry": "入门价位", "mid": "中端价位", "high": "高端价位", "project": "项目报价"},
        "field": {
            "customer_name": "客户名称",
            "industry": "行业",
            "scale": "规模",
            "persona": "对接人",
            "region": "区域",
            "product_line": "产品线",
            "product_model": "型号",
            "quarter": "季度",
            "order_amount": "订单金额",
            "amount": "金额",
            "device_count": "设备数量",
            "downtime_hours_per_month": "每月停机小时数",
            "downtime_cost_per_hour": "每小时停机损失",
            "labour_cost_per_month": "每月相关人工成本",
            "annual_saving": "年节省金额",
            "payback_months": "回本月数",
        },
    },
    "en": {
        "persona": {
            "tech_decision_maker": "technical decision maker",
            "roi_manager": "ROI-minded manager",
            "procurement": "procurement",
            "operator": "operator",
            "it_security": "IT security",
        },
        "stage": {
            "opening": "opening",
            "discovery": "discovery",
            "objection": "objection handling",
            "closing": "closing",
        },
        "scale": {"small": "small", "medium": "mid-size", "large": "large"},
        "band": {"entry": "entry level", "mid": "mid-range", "high": "high end", "project": "project pricing"},
        "field": {
            "customer_name": "customer name",
            "industry": "industry",
            "scale": "size",
            "persona": "contact",
            "region": "region",
            "product_line": "product line",
            "product_model": "model",
            "quarter": "quarter",
            "order_amount": "order amount",
            "amount": "amount",
            "device_count": "number of devices",
            "downtime_hours_per_month": "downtime hours per month",
            "downtime_cost_per_hour": "downtime cost per hour",
            "labour_cost_per_month": "related labour cost per month",
            "annual_saving": "annual saving",
            "payback_months": "payback months",
        },
    },
}


def _lang(language: str) -> str:
    return language if language in MESSAGES else DEFAULT_LANGUAGE


def text(language: str, key: str, **values: object) -> str:
    """The message ``key`` in ``language`` with ``values`` filled in."""
    template = MESSAGES[_lang(language)].get(key) or MESSAGES[DEFAULT_LANGUAGE][key]
    return template.format(**values) if values else template


def label(language: str, group: str, value: str) -> str:
    """The display name of a canonical value; the value itself when unknown."""
    return LABELS[_lang(language)].get(group, {}).get(value, value)
