"""The web pages' words in Chinese (default) and English (pure)."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("zh", "en")

TEXT: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "title": "天津区域投资动态订阅",
        "intro": "选择您关注的区域、类别和关键词，我们会把新的招商项目和优惠政策发送到您的邮箱。",
        "email": "邮箱", "name": "称呼（可选）", "districts": "区域（不选表示全部）",
        "categories": "类别（不选表示全部）", "keywords": "关键词（用逗号或顿号分隔，任一出现即可）",
        "exclude": "排除词（出现即不发送）", "frequency": "发送频率", "instant": "即时提醒",
        "daily": "每日", "weekly": "每周", "weekday": "星期", "time": "时间",
        "timezone": "时区", "subscribe": "订阅", "project": "招商项目", "policy": "优惠政策",
        "zones": "功能区：",
        "check_mail_title": "请查收确认邮件",
        "check_mail": "我们已向您填写的地址发送了一封邮件。请点击其中的链接完成订阅；链接 3 天内有效。",
        "confirm_title": "确认订阅", "confirm_button": "确认订阅",
        "confirmed": "订阅已确认。第一封邮件将按您选择的频率发送。",
        "preferences_title": "订阅设置", "save": "保存设置", "saved": "设置已保存。",
        "pause": "暂停发送", "resume": "恢复发送", "paused": "已暂停发送，随时可以恢复。",
        "resumed": "已恢复发送。",
        "preview": "下一封邮件现在会包含", "preview_empty": "目前没有待发送的内容。",
        "unsubscribe_title": "退订", "unsubscribe_button": "确认退订",
        "unsubscribe_question": "确定不再接收天津区域投资动态邮件吗？",
        "unsubscribed": "您已退订，不会再收到我们的邮件。",
        "bad_link": "链接无效或已过期。请使用最近一封邮件中的链接，或重新订阅。",
        "too_many": "请求过于频繁，请稍后再试。",
        "csrf": "页面已过期，请刷新后重试。",
        "err_email": "请输入有效的邮箱地址", "err_districts": "请从列表中选择天津的区",
        "err_keywords": "关键词过多或过长（最多 100 个，每个不超过 50 字）",
        "err_exclude": "排除词过多或过长（最多 100 个，每个不超过 50 字）",
        "err_send_at": "请填写有效的时间，例如 09:00", "err_timezone": "未知的时区",
        "err_frequency": "请选择发送频率", "err_categories": "请选择有效的类别",
        "err_name": "称呼最多 100 个字",
        "facts_legend": "投资要素（可选）",
        "min_amount": "最低投资额（如 10亿、5000万元、1亿美元；未写明金额的项目不发送）",
        "stages": "项目阶段（不选表示全部）", "industries": "产业（不选表示全部；任一即可）",
        "reminders": "政策申报截止前 7 天和 1 天发送提醒邮件",
        "err_min_amount": "请填写金额，例如 10亿、5000万元",
        "err_stages": "请从列表中选择阶段", "err_industries": "请从列表中选择产业",
        "mon": "周一", "tue": "周二", "wed": "周三", "thu": "周四", "fri": "周五",
        "sat": "周六", "sun": "周日", "language": "English",
        "manage_hint": "您也可以随时通过每封邮件底部的链接修改设置或退订。",
        "status_paused": "当前状态：已暂停",
    },
    "en": {
        "title": "Tianjin district investment alerts",
        "intro": "Choose the districts, categories and keywords you follow; we mail you new "
                 "investment projects and preferential policies.",
        "email": "Email", "name": "Name (optional)", "districts": "Districts (none = all)",
        "categories": "Categories (none = all)",
        "keywords": "Keywords (comma separated; any one must appear)",
        "exclude": "Exclude (items containing these are not sent)", "frequency": "Frequency",
        "instant": "Instant", "daily": "Daily", "weekly": "Weekly", "weekday": "Day",
        "time": "Time", "timezone": "Time zone", "subscribe": "Subscribe",
        "project": "Investment projects", "policy": "Preferential policies",
        "zones": "Zones:",
        "check_mail_title": "Check your mailbox",
        "check_mail": "We sent an email to the address you entered. Open its link to confirm "
                      "your subscription; it is valid for 3 days.",
        "confirm_title": "Confirm subscription", "confirm_button": "Confirm",
        "confirmed": "Your subscription is confirmed. The first mail follows your schedule.",
        "preferences_title": "Your subscription", "save": "Save", "saved": "Saved.",
        "pause": "Pause mails", "resume": "Resume mails",
        "paused": "Mails are paused. Resume them at any time.", "resumed": "Mails resumed.",
        "preview": "Your next mail would now contain", "preview_empty": "Nothing is waiting yet.",
        "unsubscribe_title": "Unsubscribe", "unsubscribe_button": "Unsubscribe",
        "unsubscribe_question": "Stop receiving Tianjin district investment alerts?",
        "unsubscribed": "You are unsubscribed and will get no more mail from us.",
        "bad_link": "This link is invalid or has expired. Use the link in your latest mail, "
                    "or subscribe again.",
        "too_many": "Too many requests. Please try again later.",
        "csrf": "This page has expired. Reload it and try again.",
        "err_email": "Enter a valid email address",
        "err_districts": "Choose Tianjin districts from the list",
        "err_keywords": "Too many or too long keywords (at most 100, 50 characters each)",
        "err_exclude": "Too many or too long exclusions (at most 100, 50 characters each)",
        "err_send_at": "Enter a valid time such as 09:00", "err_timezone": "Unknown time zone",
        "err_frequency": "Choose a frequency", "err_categories": "Choose valid categories",
        "err_name": "At most 100 characters",
        "facts_legend": "Investment facts (optional)",
        "min_amount": "Minimum investment (e.g. 10亿, 5000万元, 1亿美元; projects that state "
                      "no amount are not sent)",
        "stages": "Project stages (none = all)",
        "industries": "Industries (none = all; any one)",
        "reminders": "Remind me 7 days and 1 day before a policy's application deadline",
        "err_min_amount": "Enter a sum such as 10亿 or 5000万元",
        "err_stages": "Choose stages from the list", "err_industries": "Choose industries from the list",
        "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
        "fri": "Friday", "sat": "Saturday", "sun": "Sunday", "language": "中文",
        "manage_hint": "Every mail links to your settings and to unsubscribe.",
        "status_paused": "Status: paused",
    },
}


def pick_language(query: str | None, accept_language: str) -> str:
    """?lang= first, then the first supported Accept-Language, else Chinese."""
    if query in LANGUAGES:
        return query
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "zh"
