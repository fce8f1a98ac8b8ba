"""Email over SMTP: plain text and HTML, feed text escaped, one Message-ID per story."""

import asyncio
import html
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import ClassVar

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.alert import Alert, Digest, Notice, render_text
from newswatch.alerter.channels.base import Channel, DeliveryError
from newswatch.alerter.channels.http import Poster
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import ChannelTarget

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class EmailChannel(Channel):
    kind: ClassVar[str] = "email"

    @classmethod
    def from_settings(cls, settings: AlerterSettings, poster: Poster) -> "EmailChannel":
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            security=settings.smtp_tls_mode,
            tls_context=smtp_tls_context(settings.smtp_ca_file, verify=settings.smtp_verify),
            username=settings.smtp_username,
            password=password,
            timeout=settings.smtp_timeout_seconds,
        )

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        security: str = "none",
        tls_context: ssl.SSLContext | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._security, self._username, self._password = security, username, password
        self._tls = tls_context or smtp_tls_context(None)
        self._timeout = timeout

    @classmethod
    def validate_target(cls, target: ChannelTarget, policy: AddressPolicy) -> None:
        _, address = parseaddr(target.target)
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address) or _CONTROL.search(target.target):
            raise ValueError(f"email target must be an address, got {target.target!r}")

    async def send(self, notice: Notice, target: ChannelTarget) -> None:
        message = email_message(notice, self._sender, target.target)
        await asyncio.to_thread(self._send_blocking, message)

    def _send_blocking(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self._security == "starttls":
                    smtp.starttls(context=self._tls)  # without a context smtplib verifies nothing
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
        except ssl.SSLCertVerificationError as exc:
            # Retried: deliveries wait in the queue until the CA or the certificate is fixed.
            raise DeliveryError(
                f"SMTP server certificate not trusted ({self._host}): {exc.verify_message}",
                retryable=True,
            ) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}", retryable=True) from exc

    def _connect(self) -> smtplib.SMTP:
        if self._security == "tls":
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._tls
            )
        return smtplib.SMTP(self._host, self._port, timeout=self._timeout)


def smtp_tls_context(ca_file: Path | None, *, verify: bool = True) -> ssl.SSLContext:
    """The server's certificate checked against ``ca_file`` (else the system's CAs) and its
    host name, unless ``verify`` is off."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _header_text(text: str) -> str:
    # CR/LF from a feed title must never start a new header.
    return _CONTROL.sub(" ", text).strip()


def _story_message_id(story_id: str) -> str:
    return f"<story.{story_id}@newswatch>"


def email_message(notice: Notice, sender: str, recipient: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["X-Newswatch-Delivery"] = notice.delivery_id
    if isinstance(notice, Alert):
        tags = ", ".join(h.tag for h in notice.hits)
        message["Subject"] = _header_text(f"[newswatch: {tags}] {notice.title}")[:250]
        # One Message-ID per story: updates in digests refer to it, so mail clients thread them.
        message["Message-ID"] = _story_message_id(notice.story_id)
    else:
        message["Subject"] = _header_text(notice.title)
        message["Message-ID"] = f"<digest.{notice.delivery_id}@newswatch>"
        updated = [_story_message_id(e.story.id) for e in notice.entries if e.update][:20]
        if updated:
            message["References"] = " ".join(updated)
            if len(notice.entries) == 1:
                message["In-Reply-To"] = updated[0]
    message.set_content(render_text(notice, feedback=True) + "\n")
    message.add_alternative(_html(notice), subtype="html")
    return message


def _html(notice: Notice) -> str:
    e = html.escape
    if isinstance(notice, Digest):
        rows = "".join(
            f"<li>{'Update: ' if entry.update else ''}{_link(entry.title, entry.link)}"
            f"<br><small>{e(entry.item.item.source)} · {e(entry.tag_line)}"
            f"{' · ' + e(entry.reported_by) if entry.reported_by else ''}</small>"
            f"{_entry_false_alarms(entry.feedback_links)}</li>"
            for entry in notice.entries
        )
        body = f"<h2>{e(notice.title)}</h2><ul>{rows}</ul>"
    else:
        facts = "".join(f"<li>{e(line)}</li>" for line in notice.fact_lines)
        quotes = "".join(f"<blockquote>{e(q)}</blockquote>" for q in notice.evidence)
        reported = f" · {e(notice.reported_by)}" if notice.reported_by else ""
        body = (
            f"<h2>{_link(notice.title, notice.link)}</h2>"
            f"<p><b>{e(notice.tag_line)}</b><br>{e(notice.source)} · "
            f"{notice.published_at:%Y-%m-%d %H:%M} UTC{reported}</p>"
            f"{f'<ul>{facts}</ul>' if facts else ''}{quotes}"
            + "".join(f"<p>{link}</p>" for link in _false_alarm_anchors(notice.feedback_links))
        )
    return (
        f"<html><body>{body}"
        f'<p style="color:#888">newswatch subscription {e(notice.subscription_id)}</p>'
        "</body></html>"
    )


def _link(title: str, link: str | None) -> str:
    e = html.escape
    return f'<a href="{e(link, quote=True)}">{e(title)}</a>' if link else e(title)


def _false_alarm_anchors(links: tuple[tuple[str, str], ...]) -> list[str]:
    e = html.escape
    return [f'<a href="{e(url, quote=True)}">False alarm: {e(tag)}</a>' for tag, url in links]


def _entry_false_alarms(links: tuple[tuple[str, str], ...]) -> str:
    """A digest entry's links, on a line of their own under it (nothing when links are off)."""
    return f"<br><small>{' · '.join(_false_alarm_anchors(links))}</small>" if links else ""
