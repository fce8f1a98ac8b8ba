"""Email over SMTP: plain text and HTML, feed text escaped, one Message-ID per story."""

import asyncio
import html
import re
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import ClassVar

from newswatch.alerter.alert import Alert
from newswatch.alerter.channels.base import Channel, DeliveryError
from newswatch.shared.contracts import ChannelTarget

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class EmailChannel(Channel):
    kind: ClassVar[str] = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._starttls, self._username, self._password = starttls, username, password
        self._timeout = timeout

    @classmethod
    def validate_target(cls, target: ChannelTarget) -> None:
        _, address = parseaddr(target.target)
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address) or _CONTROL.search(target.target):
            raise ValueError(f"email target must be an address, got {target.target!r}")

    async def send(self, alert: Alert, target: ChannelTarget) -> None:
        message = email_message(alert, self._sender, target.target)
        await asyncio.to_thread(self._send_blocking, message)

    def _send_blocking(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls()
                if self._username and self._password:
                    smtp.login(self._username, self._password)
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            # 4xx is the server's "try again later"; 5xx is final (bad address, refused).
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                retryable=400 <= exc.smtp_code < 500,
                status_code=exc.smtp_code,
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc.recipients}", retryable=False) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}", retryable=True) from exc


def _header_text(text: str) -> str:
    # CR/LF from a feed title must never start a new header.
    return _CONTROL.sub(" ", text).strip()


def email_message(alert: Alert, sender: str, recipient: str) -> EmailMessage:
    message = EmailMessage()
    tags = ", ".join(h.tag for h in alert.hits)
    message["Subject"] = _header_text(f"[newswatch: {tags}] {alert.title}")[:250]
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    # One Message-ID per story and revision, threaded on the first: mail clients group updates.
    item = alert.item.item
    message["Message-ID"] = f"<{item.id}.r{item.revision}@newswatch>"
    if item.revision > 1:
        message["In-Reply-To"] = message["References"] = f"<{item.id}.r1@newswatch>"
    message["X-Newswatch-Delivery"] = alert.delivery_id
    message.set_content(_plain(alert))
    message.add_alternative(_html(alert), subtype="html")
    return message


def _plain(alert: Alert) -> str:
    lines = [
        alert.title,
        "",
        f"Tags: {alert.tag_line}",
        f"Source: {alert.source}",
        f"Published: {alert.published_at:%Y-%m-%d %H:%M} UTC",
    ]
    if alert.link:
        lines.append(f"Link: {alert.link}")
    lines += ["", *alert.fact_lines]
    if alert.evidence:
        lines += ["", "Evidence:", *(f'  "{q}"' for q in alert.evidence)]
    lines += ["", f"-- newswatch subscription {alert.subscription_id}"]
    return "\n".join(lines) + "\n"


def _html(alert: Alert) -> str:
    e = html.escape
    title = e(alert.title)
    headline = f'<a href="{e(alert.link, quote=True)}">{title}</a>' if alert.link else title
    facts = "".join(f"<li>{e(line)}</li>" for line in alert.fact_lines)
    quotes = "".join(f"<blockquote>{e(q)}</blockquote>" for q in alert.evidence)
    return (
        f"<html><body><h2>{headline}</h2>"
        f"<p><b>{e(alert.tag_line)}</b><br>{e(alert.source)} · "
        f"{alert.published_at:%Y-%m-%d %H:%M} UTC</p>"
        f"{f'<ul>{facts}</ul>' if facts else ''}{quotes}"
        f'<p style="color:#888">newswatch subscription {e(alert.subscription_id)}</p>'
        "</body></html>"
    )
