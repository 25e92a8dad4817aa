"""Mails the web app sends: confirm a sign-up; tell an existing subscriber (pure)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from worker.mail.message import POLICY, sender_domain

SUBJECTS = {
    ("confirm", "zh"): "请确认订阅天津区域投资动态",
    ("confirm", "en"): "Confirm your Tianjin district investment alerts",
    ("exists", "zh"): "您已订阅天津区域投资动态",
    ("exists", "en"): "You already receive Tianjin district investment alerts",
}
BODIES = {
    ("confirm", "zh"): "您好：\n\n有人（希望是您）用这个地址订阅了天津区域投资动态。请打开下面的链接确认"
                       "订阅，链接 3 天内有效：\n\n{link}\n\n如果不是您本人操作，请忽略本邮件，"
                       "我们不会再给您发信。\n",
    ("confirm", "en"): "Hello,\n\nSomeone (we hope you) subscribed this address to Tianjin "
                       "district investment alerts. Open this link within 3 days to confirm:"
                       "\n\n{link}\n\nIf it was not you, ignore this mail; we will not write "
                       "again.\n",
    ("exists", "zh"): "您好：\n\n有人用这个地址再次提交了订阅。您已经在接收我们的邮件。如需修改设置或"
                      "退订，请打开：\n\n{link}\n\n如果不是您本人操作，请忽略本邮件。\n",
    ("exists", "en"): "Hello,\n\nSomeone submitted a subscription for this address again. You "
                      "already receive our mails. To change your settings or unsubscribe, "
                      "open:\n\n{link}\n\nIf it was not you, ignore this mail.\n",
}


def web_mail(kind: str, language: str, sender: str, to: str, link: str,
             now: datetime) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["Subject"] = SUBJECTS[(kind, language)]
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(kind, domain=sender_domain(sender))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(BODIES[(kind, language)].format(link=link), charset="utf-8")
    return message
