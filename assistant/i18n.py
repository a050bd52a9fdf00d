"""User-facing messages for error codes, in zh-CN (default) and English."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]

ERROR_MESSAGES: dict[str, tuple[str, str]] = {
    # code: (zh-CN, en)
    "invalid_json": ("消息不是有效的 JSON。", "The message is not valid JSON."),
    "unknown_event": ("不支持的消息类型。", "Unknown event type."),
    "invalid_event": ("消息字段缺失或类型不对。", "A field is missing or has the wrong type."),
    "message_too_long": ("消息太长了，请控制在 4000 字以内。", "The message is too long (4000 characters at most)."),
    "empty_message": ("消息不能为空。", "The message is empty."),
    "empty_query": ("问题不能为空。", "The question is empty."),
    "invalid_profile": ("客户画像字段不正确。", "Invalid customer-profile field."),
    "conversation_not_found": ("找不到这个会话。", "Conversation not found."),
    "invalid_conversation_query": ("会话查询条件无效。", "Invalid conversation search or page."),
    "seen_seq_out_of_range": ("已读位置超出了这个会话的消息范围。", "That position is past the conversation's end."),
    "feedback_target_not_found": ("找不到要评价的回答。", "No reply with that number."),
    "invalid_credentials": ("用户名或密码不正确。", "Wrong username or password."),
    "invalid_token": ("登录已失效，请重新登录。", "Your sign-in has expired; please sign in again."),
    "unauthorized": ("请先登录。", "Please sign in."),
    "not_ready": ("服务正在启动，请稍后再试。", "The service is starting; please try again shortly."),
    "not_found": ("找不到请求的资源。", "Not found."),
    "validation_error": ("请求参数不正确。", "Invalid request."),
    "rate_limited": ("操作太频繁，请稍后再试。", "Too many requests; please slow down and try again shortly."),
    "sign_in_locked": (
        "登录失败次数过多，已暂时锁定，请稍后再试。",
        "Too many failed sign-ins: locked for a while; please try again later.",
    ),
    "sign_in_busy": ("登录的人太多了，请稍后再试。", "Too many sign-ins at once; please try again in a moment."),
    "body_too_large": ("请求内容太大。", "The request body is too large."),
    "portal_not_found": ("找不到这个门户，或门户未启用小部件。", "Unknown portal, or its widget is not enabled."),
    "identity_token_invalid": ("门户身份令牌无效。", "The portal identity token is invalid."),
    "identity_token_expired": (
        "门户身份令牌已过期，请刷新页面。",
        "The portal identity token has expired; reload the page.",
    ),
    "identity_token_replayed": ("门户身份令牌已被使用过。", "The portal identity token was already used."),
    "widget_user_rejected": (
        "该用户不属于此门户服务的伙伴。",
        "This user does not belong to a partner this portal serves.",
    ),
    "origin_not_allowed": ("不允许从这个网站使用助手。", "The assistant may not be used from this site."),
    "document_not_found": ("找不到这段资料。", "Passage not found."),
    "unsupported_frame": (
        "只支持文本（JSON）消息，二进制消息已忽略。",
        "Only text (JSON) frames are supported; the binary frame was ignored.",
    ),
    "token_expired": ("登录已过期，请重新登录。", "Your sign-in has expired; please sign in again."),
    "internal": ("服务暂时出错了，请稍后再试。", "Something went wrong; please try again."),
    "partner_not_found": ("找不到这个合作伙伴，或你没有权限查看。", "No such partner, or you may not see it."),
    "quarter_not_found": (
        "这个季度不存在或不在返利政策范围内。",
        "That quarter does not exist or is not covered by the rebate policy.",
    ),
    "invalid_quarter": ("季度格式不对，应为 2026Q3 这样的形式。", "Invalid quarter; use e.g. 2026Q3."),
    "partner_required": (
        "这个节点不直接计返利，请选择一个下属合作伙伴。",
        "This node earns no rebate itself; choose a partner below it.",
    ),
    "invalid_amount": (
        "金额必须是大于 0 的数字，最多两位小数。",
        "The amount must be a positive number with at most two decimals.",
    ),
    "invalid_order": ("订单数据不一致，未能记账。", "Inconsistent order data; nothing was booked."),
    "duplicate_order": (
        "该合作伙伴的订单号已存在或在本批中重复，本批订单均未记账。",
        "An order id is already recorded for that partner or repeated in the batch; nothing was booked.",
    ),
    "quarter_closed": (
        "该季度的结算单已最终确定，不能再记入订单；退货请按今天的日期记账，会作为负数调整计入本季度。",
        "That quarter's statement is final: no more orders in it; book a return today and it"
        " counts in the current quarter as a negative adjustment.",
    ),
    "partner_inactive": (
        "该合作伙伴已停用，不能再为其记账。",
        "That partner is deactivated; no orders can be recorded for it.",
    ),
    "order_not_found": ("找不到这笔订单。", "No such order."),
    "forbidden": ("你没有权限执行这个操作。", "You are not allowed to do this."),
    "invalid_network_change": (
        "这个渠道网络调整不被允许（编号重复、层级不对或还有下属节点）。",
        "That change to the channel network is not allowed (duplicate id, wrong level or active children).",
    ),
    "alliance_size": (
        "城市联盟需保持 3 到 5 家活跃伙伴：这个调整会超过 5 家，或让已成形的联盟少于 3 家。",
        "A city alliance keeps 3 to 5 active partners: this change would add a sixth"
        " or leave a complete one with fewer than 3.",
    ),
    "handoff_not_found": ("找不到这个专家协助会话。", "No such handoff session."),
    "expert_only": ("只有远程专家可以使用这个功能。", "Only remote experts may do this."),
    "handoff_already_taken": ("这个会话已被其他专家接入。", "Another expert has already taken this session."),
    "handoff_invalid_state": ("会话当前状态不允许这个操作。", "The session's state does not allow this."),
    "expert_at_capacity": ("已达到可同时处理的会话上限。", "The expert is handling as many sessions as allowed."),
    "transfer_target_invalid": (
        "只能转给具备该产品线专长的其他专家。",
        "Transfer only to another expert with this skill.",
    ),
    "handoff_invalid_input": ("内容不能为空，也不能太长。", "The text is empty or too long."),
    "timezone_invalid": (
        "客户时区无效：请使用 IANA 时区名，例如 Asia/Shanghai 或 America/Los_Angeles。",
        "Invalid customer time zone: use an IANA name such as Asia/Shanghai or America/Los_Angeles.",
    ),
    "rtc_not_allowed": (
        "无法进行视频协助：只有已接入的专家和发起人可以在协助进行中通话。",
        "Video assist is not possible: only the accepted expert and the requester may call while the session is live.",
    ),
    "rtc_invalid": ("视频协助信令格式不正确或过大。", "The video-assist signal is malformed or too large."),
    "still_too_large": ("截图太大（最大 1.5 MB）。", "The still is too large (1.5 MB at most)."),
    "still_type_invalid": ("截图只能是 PNG 或 JPEG 图片。", "A still must be a PNG or JPEG image."),
    "still_not_found": ("找不到这张截图。", "No such still."),
    "join_code_invalid": ("加入码无效。", "Invalid join code."),
    "join_code_used": (
        "这个加入码已经用过了，请让专家重新生成。",
        "This join code was already used; ask for a new one.",
    ),
    "join_code_expired": ("加入码已过期，请让专家重新生成。", "This join code has expired; ask for a new one."),
    "content_not_found": ("找不到这条内容或这个版本。", "No such content entry or version."),
    "content_kind_unknown": ("没有这种内容类型。", "No such kind of content."),
    "review_not_found": ("这条待审核内容不存在或已处理。", "No such open review item."),
    "content_invalid": ("内容有误，请按提示逐项修改。", "The content has problems; see each field."),
    "import_refused": (
        "导入被拒绝：以下行有误，什么都没有写入。",
        "Import refused: the rows below have problems; nothing was written.",
    ),
    "content_conflict": (
        "别人在你之后保存了新版本，你的修改没有写入；请先查看最新版本再合并。",
        "Someone saved a newer version; your edit was not written. Merge with the latest version.",
    ),
    "content_state": ("这个版本当前的状态不允许这个操作。", "This version's state does not allow this."),
    "task_not_found": (
        "找不到这个任务，或你没有权限查看。",
        "No such task, or you may not see it.",
    ),
    "assignment_not_found": (
        "这个任务里找不到该节点的分解，或你没有权限查看。",
        "No such node in this task, or you may not see it.",
    ),
    "invalid_task": (
        "任务设置不正确：请检查标题、目标数量、类型和起止日期（截止日期不能早于开始日期或今天）。",
        "Invalid task: check the title, goal, kind and dates (the due date may not precede the start or today).",
    ),
    "invalid_breakdown": (
        "分解有误：只能调整该上级的直接下级，每个下级只能出现一次，数量为 0 以上的整数。",
        "Invalid breakdown: name direct children of the parent, each once, with whole quantities of 0 or more.",
    ),
    "quantity_sum_mismatch": (
        "下级数量之和必须等于上级的数量，本次调整未保存。",
        "The children's quantities must add up to the parent's quantity; nothing was saved.",
    ),
    "invalid_progress": (
        "进度上报有误：数量须为非零整数且不能让你的累计变为负数，备注不超过 500 字。",
        "Invalid progress report: a non-zero whole number that keeps your total at 0 or more, "
        "and a note of at most 500 characters.",
    ),
    "progress_conflict": (
        "这个上报编号已用于另一条不同的进度，本次未记录；请换一个编号。",
        "This client id was already used for a different report; nothing was recorded. Use a new id.",
    ),
    "task_rules_invalid": (
        "任务规则配置有误，请联系管理员。",
        "The task rules file is invalid; tell an administrator.",
    ),
    "alert_not_found": (
        "找不到这条风险预警，或你没有权限查看。",
        "No such alert, or you may not see it.",
    ),
    "alert_invalid_transition": (
        "这条预警当前的状态不允许这个操作（只能确认未处理的预警，已解决的预警不能再确认或解决）。",
        "The alert's status does not allow this (only an open alert can be acknowledged; a resolved one is final).",
    ),
    "alert_note_required": (
        "解决预警时请填写处理说明。",
        "Resolving an alert needs a note on what was done.",
    ),
    "alert_note_too_long": (
        "处理说明太长了，请控制在 1000 字以内。",
        "The note is too long (1000 characters at most).",
    ),
    "quarter_not_started": (
        "这个季度还没有开始，暂无渠道画像。",
        "That quarter has not begun; there is no channel profile for it yet.",
    ),
    "profile_rules_invalid": (
        "渠道画像评分规则配置有误，请联系管理员。",
        "The channel-profile scoring file is invalid; tell an administrator.",
    ),
    "lesson_not_found": ("找不到这节微课。", "No such lesson."),
    "invalid_lesson_filter": (
        "筛选条件不正确：请从列表中选择角色、产品线、类型、主题和周次。",
        "Invalid filter: choose the role, product line, mode, topic and week from the lists.",
    ),
    "quiz_attempt_not_found": ("找不到这次测验，请重新开始测验。", "No such quiz attempt; start the quiz again."),
    "quiz_attempt_finished": (
        "这次测验已经提交过了，答案只计一次；如需再做，请重新开始测验。",
        "This quiz attempt was already submitted and counts once; start the quiz again to retake it.",
    ),
    "quiz_attempt_expired": (
        "这次测验已过期或题目已更新，请重新开始测验。",
        "This quiz attempt has expired or its questions have changed; start the quiz again.",
    ),
    "invalid_quiz_answers": (
        "请为每道题选择一个选项后再提交。",
        "Choose one option for every question, then submit.",
    ),
    "training_data_invalid": (
        "培训课程数据配置有误，请联系管理员。",
        "The training data files are invalid; tell an administrator.",
    ),
    "practice_bad_request": (
        "练习设置不正确，请从列表中重新选择。",
        "Invalid practice settings; choose again from the lists.",
    ),
    "practice_unknown_product": (
        "找不到这个产品，请从列表中选择要练习的产品。",
        "Unknown product; choose one from the list.",
    ),
    "practice_unknown_industry": (
        "没有这个行业，请从列表中选择或留空。",
        "Unknown industry; choose one from the list or leave it empty.",
    ),
    "practice_unknown_persona": (
        "没有这个客户角色，请从列表中选择或留空。",
        "Unknown contact role; choose one from the list or leave it empty.",
    ),
    "practice_unknown_competitor": (
        "这个产品没有这家竞品的对比资料，请从列表中选择或留空。",
        "This product has no comparison with that competitor; choose one from the list or leave it empty.",
    ),
    "practice_not_found": ("找不到这次练习。", "No such practice session."),
    "practice_turn_invalid": ("这次练习没有这一轮。", "This practice session has no such turn."),
    "practice_turn_not_next": ("请按顺序回答客户的问题。", "Answer the customer's turns in order."),
    "practice_turn_answered": (
        "这一轮已经回答过了，每轮只计第一次回答。",
        "This turn was already answered; only the first answer counts.",
    ),
    "practice_finished": (
        "这次练习已经结束了，可以开始新的练习。",
        "This practice session has ended; start a new one.",
    ),
    "practice_nothing_answered": (
        "还没有回答任何一轮，无法结束练习。",
        "Answer at least one turn before ending the practice.",
    ),
    "practice_scenario_changed": (
        "产品资料已更新，这次练习无法继续，请开始新的练习。",
        "The product data changed since this practice started; start a new one.",
    ),
    "practice_data_invalid": (
        "练习数据配置有误，请联系管理员。",
        "The practice data files are invalid; tell an administrator.",
    ),
    "mentoring_session_not_found": ("找不到这场分享会。", "No such sharing session."),
    "mentoring_session_full": (
        "这场分享会已满员，请选择其他场次。",
        "This sharing session is full; choose another one.",
    ),
    "mentoring_session_started": (
        "分享会已经开始，不能再报名或取消报名。",
        "The session has started; sign-up and cancellation are closed.",
    ),
    "mentoring_session_not_started": (
        "分享会开始后才能记录纪要、回放链接和出勤。",
        "Notes, the recording link and attendance are recorded once the session has started.",
    ),
    "mentoring_host_signup": ("主讲导师无需报名自己的分享会。", "The host does not sign up to their own session."),
    "mentoring_not_mentor": (
        "只有已确认的渠道导师或管理员可以创建分享会。",
        "Only confirmed mentors and admins create sharing sessions.",
    ),
    "mentoring_host_not_mentor": (
        "主讲人必须是已确认的渠道导师。",
        "The host must be a confirmed mentor.",
    ),
    "mentoring_mentor_not_found": ("找不到这位导师或员工。", "No such mentor or staff member."),
    "mentoring_not_candidate": (
        "此人不在本期排名前列伙伴的导师候选名单中。",
        "This person is not a mentor candidate of the top-ranked partners.",
    ),
    "mentoring_invalid_session": (
        "分享会信息不正确：请检查主题长度、开始时间（须在未来）、时长、人数和产品线。",
        "Invalid session: check the topic length, the start (in the future), duration, capacity and product line.",
    ),
    "mentoring_invalid_record": (
        "纪要过长，或回放链接不是 http/https 网址。",
        "The notes are too long, or the recording link is not an http/https URL.",
    ),
    "mentoring_not_signed_up": (
        "出勤名单中有未报名的人员。",
        "The attendance list names someone who did not sign up.",
    ),
    "mentoring_data_invalid": (
        "导师制度配置有误，请联系管理员。",
        "The mentoring rules file is invalid; tell an administrator.",
    ),
    "customer_not_found": ("找不到这个客户。", "Customer not found."),
    "customer_invalid": (
        "客户信息不正确：请检查标出的字段（名称 1 到 100 字，行业、规模、角色请从列表中选择，备注不超过 2000 字）。",
        "Invalid customer: check the field named (a name of 1 to 100 characters, industry, scale and"
        " contact role from the lists, notes of at most 2000 characters).",
    ),
    "customer_name_taken": (
        "你已经有一个同名的客户了，请换一个名称或打开已有的客户。",
        "You already have a customer of that name; choose another name or open the existing one.",
    ),
    "sandbox_unknown_product": ("产品目录里没有这个型号。", "The catalogue has no such product."),
    "sandbox_invalid_decision": (
        "方案填写有误：请检查标出的字段（产品须在目录中且不重复、数量、单价、签约时间）。",
        "Invalid offer: check the field named (catalogue products, each once; quantity; unit price; timing).",
    ),
    "sandbox_scenario_not_found": ("找不到这个沙盘场景。", "No such sandbox scenario."),
    "sandbox_scenario_changed": (
        "产品资料、沙盘参数或季度已更新，这个场景已失效，请重新抽一个场景。",
        "The product data, the sandbox settings or the quarter changed; draw a new scenario.",
    ),
    "sandbox_data_invalid": (
        "沙盘数据配置有误，请联系管理员。",
        "The sandbox data file is invalid; tell an administrator.",
    ),
}


def language_of(accept_language: str | None) -> Language:
    """The language a client reads, from its ``Accept-Language`` header (or a page's ``lang``):
    English when its first choice is English, otherwise zh-CN."""
    first = (accept_language or "").split(",", 1)[0].strip().lower()
    return "en" if first == "en" or first.startswith("en-") else "zh"


def error_message(code: str, language: Language = "zh") -> str:
    zh, en = ERROR_MESSAGES.get(code, ERROR_MESSAGES["internal"])
    return en if language == "en" else zh
