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
    "feedback_target_not_found": ("找不到要评价的回答。", "No reply with that number."),
    "invalid_credentials": ("用户名或密码不正确。", "Wrong username or password."),
    "invalid_token": ("登录已失效，请重新登录。", "Your sign-in has expired; please sign in again."),
    "unauthorized": ("请先登录。", "Please sign in."),
    "not_ready": ("服务正在启动，请稍后再试。", "The service is starting; please try again shortly."),
    "not_found": ("找不到请求的资源。", "Not found."),
    "validation_error": ("请求参数不正确。", "Invalid request."),
    "rate_limited": ("发送太频繁，请稍后再试。", "Too many messages; please slow down."),
    "internal": ("服务暂时出错了，请稍后再试。", "Something went wrong; please try again."),
}


def error_message(code: str, language: Language = "zh") -> str:
    zh, en = ERROR_MESSAGES.get(code, ERROR_MESSAGES["internal"])
    return en if language == "en" else zh
