"""E-mail over SMTP (``aiosmtplib``), with the calendar invitation attached as ``.ics``.

The Message-ID is derived from the delivery's idempotency key: if a crash makes us send the same
e-mail twice (accepted by the server, not yet marked sent here), both copies carry the same
Message-ID, so mail clients and servers that de-duplicate show one, and a duplicate is detectable.
"""

import asyncio
import ssl
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

import aiosmtplib

from services.notifications.channels import DeliveryError, Outgoing
from services.notifications.settings import NotificationSettings


def message_id(delivery_key: str, domain: str) -> str:
    return f"<{delivery_key}@{domain}>"


def build_email(message: Outgoing, settings: NotificationSettings) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = formataddr(("", message.address))
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.written_at.astimezone(UTC))
    mail["Message-ID"] = message_id(message.delivery_key, settings.mail_domain)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text, charset="utf-8")
    if message.attachment is not None:
        att = message.attachment
        mail.add_attachment(
            att.content.encode(), maintype="text", subtype="calendar", filename=att.filename,
            params={"method": att.method, "charset": "utf-8"},
        )
    mail["Content-Language"] = "fr"  # after set_content, which drops Content-* headers
    return mail


def sender_address(settings: NotificationSettings) -> str:
    return parseaddr(settings.mail_from)[1]


class SmtpChannel:
    def __init__(self, settings: NotificationSettings) -> None:
        if not settings.smtp_host:
            raise ValueError("smtp_host manquant")
        self._settings = settings
        self._closing: set[asyncio.Task[None]] = set()

    def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        secure = s.smtp_tls or s.smtp_starttls
        return aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            start_tls=s.smtp_starttls, use_tls=s.smtp_tls, timeout=s.smtp_timeout,
            tls_context=ssl.create_default_context() if secure else None,
        )

    async def send(self, message: Outgoing) -> str | None:
        mail = build_email(message, self._settings)
        client = self._client()
        try:
            await client.connect()
            errors, _response = await client.send_message(mail)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"destinataire refusé : {exc.recipients}", _permanent_all(exc.recipients)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.code} {exc.message}", 500 <= exc.code < 600) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"SMTP injoignable : {type(exc).__name__}: {exc}", permanent=False) from exc
        finally:
            self._quit_later(client)
        if errors:
            raise DeliveryError(f"destinataire refusé : {errors}", permanent=True)
        return str(mail["Message-ID"])

    def _quit_later(self, client: aiosmtplib.SMTP) -> None:
        """The server accepted the DATA: return now, so the delivery is marked sent at once (the
        window in which a crash could send it twice), and say QUIT in the background."""
        task = asyncio.create_task(_quit(client))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await client.quit()
    except Exception:  # the message is already accepted; a failed goodbye changes nothing
        client.close()


def _permanent_all(recipients: list[aiosmtplib.SMTPRecipientRefused]) -> bool:
    return all(500 <= r.code < 600 for r in recipients)

