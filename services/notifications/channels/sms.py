"""SMS through any HTTP gateway: URL, auth header and a JSON body template come from settings.

The body template is JSON whose string values may contain ``$to``, ``$text``, ``$sender`` and
``$key``; values are substituted after parsing, so a quote in a message cannot break the JSON.
The idempotency key also goes in a header (``Idempotency-Key`` by default): a gateway that honours
it turns our retry after a crash into a no-op instead of a second SMS.
"""

import json
import string
from typing import Any

import httpx

from services.notifications.channels import DeliveryError, Outgoing
from services.notifications.settings import NotificationSettings

# Worth retrying: the gateway is busy, rate-limits us or had a hiccup.
RETRYABLE = {408, 409, 425, 429}


def render_body(template: str, values: dict[str, str]) -> Any:
    def fill(node: Any) -> Any:
        if isinstance(node, str):
            return string.Template(node).safe_substitute(values)
        if isinstance(node, list):
            return [fill(item) for item in node]
        if isinstance(node, dict):
            return {key: fill(item) for key, item in node.items()}
        return node

    return fill(json.loads(template))


class HttpSmsGateway:
    def __init__(self, settings: NotificationSettings) -> None:
        if not settings.sms_gateway_url:
            raise ValueError("sms_gateway_url manquant")
        json.loads(settings.sms_body_template)  # fail at start-up, not at the first SMS
        self._settings = settings

    def request_parts(self, message: Outgoing) -> tuple[dict[str, str], Any]:
        s = self._settings
        headers = {s.sms_idempotency_header: message.delivery_key}
        if s.sms_auth_value is not None:
            headers[s.sms_auth_header] = s.sms_auth_value.get_secret_value()
        values = {"to": message.address, "text": message.text, "sender": s.sms_sender, "key": message.delivery_key}
        return headers, render_body(s.sms_body_template, values)

    async def send(self, message: Outgoing) -> str | None:
        headers, body = self.request_parts(message)
        url = self._settings.sms_gateway_url
        assert url is not None
        try:
            async with httpx.AsyncClient(timeout=self._settings.sms_timeout) as client:
                response = await client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"passerelle SMS injoignable : {type(exc).__name__}: {exc}", permanent=False) from exc
        if response.is_success:
            return _reference(response)
        detail = f"passerelle SMS : HTTP {response.status_code} {response.text[:200]}"
        permanent = 400 <= response.status_code < 500 and response.status_code not in RETRYABLE
        raise DeliveryError(detail, permanent)


def _reference(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        for key in ("id", "message_id", "reference"):
            if key in body:
                return str(body[key])[:200]
    return None
