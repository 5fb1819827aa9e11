"""Webhooks that cannot be turned against us, and that their receivers can trust.

A callback URL must be http or https and its host must resolve only to public addresses: never
loopback, private, link-local (169.254.169.254 is a cloud's metadata service), multicast, reserved
or unspecified. It is checked when it is submitted and again at every send; the request then goes
to the very address that was checked (with the name as Host and TLS server name), so a name that
changes its answer in between cannot slip through, and redirects are not followed.
`CREATOR_WEBHOOK_ALLOW_PRIVATE=1` lifts the address rule (a receiver on your own network, tests).

Every body is signed: `X-Creator-Timestamp` (Unix seconds) and `X-Creator-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` under the video owner's webhook secret, shown
once by `python -m creator_service.users`. A receiver recomputes it, compares in constant time,
and refuses timestamps more than a few minutes old (replays).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import socket
import time
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

import httpx

logger = logging.getLogger(__name__)

TIMEOUT = 10.0
MAX_URL = 2000
SIGNATURE_HEADER = "X-Creator-Signature"
TIMESTAMP_HEADER = "X-Creator-Timestamp"

Resolver = Callable[[str, int], list[str]]


class UnsafeWebhook(ValueError):
    """Why a callback URL is refused, in words for the client."""


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (one lookup, all families)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeWebhook(f"its host {host!r} does not resolve ({exc})") from None
    return sorted({str(info[4][0]) for info in infos})


def _refusal(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for test, words in ((ip.is_loopback, "loopback"), (ip.is_link_local, "link-local"),
                        (ip.is_multicast, "multicast"), (ip.is_unspecified, "unspecified"),
                        (ip.is_private, "private"), (ip.is_reserved, "reserved")):
        if test:
            return words
    return None


def checked_addresses(url: str, allow_private: bool, resolver: Resolver | None = None) -> tuple[Any, list[str]]:
    """(the split URL, its host's addresses), or UnsafeWebhook saying what is wrong."""
    if not isinstance(url, str) or len(url) > MAX_URL:
        raise UnsafeWebhook(f"must be an http:// or https:// URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeWebhook(f"is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeWebhook("must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise UnsafeWebhook("must not carry a user name or password")
    # Looked up at call time, so a test can stand a resolver in for the DNS.
    addresses = (resolver or resolve)(parts.hostname, port)
    if not addresses:
        raise UnsafeWebhook(f"its host {parts.hostname!r} does not resolve")
    if not allow_private:
        for address in addresses:
            kind = _refusal(address)
            if kind:
                raise UnsafeWebhook(f"its host {parts.hostname!r} resolves to a {kind} address ({address});"
                                    " webhooks go to public addresses only")
    return parts, addresses


def check_callback_url(url: str, allow_private: bool, resolver: Resolver | None = None) -> None:
    checked_addresses(url, allow_private, resolver)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


async def send_once(url: str, body: bytes, secret: str, *, allow_private: bool,
                    resolver: Resolver | None = None) -> str:
    """POST `body`, signed, once. "delivered" (the receiver answered < 400), "retry" (it failed or
    could not be reached), or "refused" (the URL is no longer safe: never retried)."""
    try:
        parts, addresses = await asyncio.to_thread(checked_addresses, url, allow_private, resolver)
    except UnsafeWebhook as exc:
        logger.error("webhook %s refused at send: %s", url, exc)
        return "refused"
    address = addresses[0]
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    timestamp = int(time.time())
    headers = {"Host": parts.netloc.rsplit("@", 1)[-1], "Content-Type": "application/json",
               TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, body, timestamp)}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
            response = await client.post(target, content=body, headers=headers,
                                         extensions={"sni_hostname": parts.hostname})
        if response.status_code < 400 and not response.is_redirect:
            return "delivered"
        logger.warning("webhook %s answered %s", url, response.status_code)
    except httpx.HTTPError as exc:
        logger.warning("webhook %s failed: %s", url, exc)
    return "retry"
