"""Fetching one web page for intake without letting a URL reach into the operator's network.

A moderator's URL is untrusted: `http://127.0.0.1:8080/admin`, a name that resolves to
10.0.0.5, `http://2130706433/` or a public page that redirects to 169.254.169.254 would
otherwise make the bot read internal pages and show them to everyone in answers. So every
hop (the URL and each redirect, followed here, not by httpx) is resolved first, refused if
any of its addresses is not public, and then connected to *that checked address* (the Host
header and TLS name stay the host name), so a DNS answer that changes between the check and
the connection can't slip through. A refusal is decided before any connection is made, so
its message is the same whether or not anything listens there: no port scanning through
error messages. Size and time are capped over the whole download, redirects included."""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from index.errors import SourceError, UsageError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_REDIRECTS = 5
USER_AGENT = "policybot/0.1 (+source intake; a moderator added this URL)"
_REDIRECTS = (301, 302, 303, 307, 308)
# Address kinds SOURCE_FETCH_ALLOW_PRIVATE lets through (an intranet's pages, tests on
# 127.0.0.1). Link-local stays refused: it is where cloud metadata services live.
_PRIVATE_KINDS = ("loopback", "private", "non-public")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class Fetched:
    body: bytes
    content_type: str  # the Content-Type header as sent
    url: str  # where the body came from, after redirects


def address_kind(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address ("loopback", "private" …), or None if it is.
    IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, Teredo) are judged by it."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(embedded)
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),
    ):
        if flag:
            return kind
    return None


def refusal(url: str, host: str, ip: IPAddress, kind: str, allow_private: bool) -> str | None:
    """The one-line reason `url` may not be fetched from `ip`, or None if it may."""
    if allow_private and kind in _PRIVATE_KINDS:
        return None
    via = str(ip) if host.strip("[]") == str(ip) else f"{host} resolves to {ip}, which"
    hint = ""
    if kind in _PRIVATE_KINDS:  # (and not allowed, or we would have returned)
        hint = " (an operator can allow private addresses with SOURCE_FETCH_ALLOW_PRIVATE=1)"
    article = "an" if kind[0] in "aeiou" else "a"
    return f"{url} is refused: {via} is {article} {kind} address, not a public one{hint}"


def resolve(host: str, port: int, seconds: float) -> list[IPAddress]:
    """Every address `host` resolves to (numeric forms like `127.1` or `0x7f.1` included,
    as the system resolver reads them), within `seconds`."""
    box: dict[str, object] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as e:
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=run, name="resolve", daemon=True).start()
    if not done.wait(max(seconds, 0.1)):
        raise SourceError(f"looking up {host} took longer than {seconds:g} s; try again later")
    if "error" in box:
        raise SourceError(f"can't find the server {host}: no such host name")
    found: list[IPAddress] = []
    for *_, sockaddr in box["infos"]:  # type: ignore[attr-defined]
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in found:
            found.append(ip)
    if not found:
        raise SourceError(f"can't find the server {host}: no such host name")
    return found


def fetch(
    url: str,
    *,
    allow_private: bool,
    timeout: float,
    max_bytes: int,
    check_hop: Callable[[str], None] = lambda url: None,
) -> Fetched:
    """GET `url`, following up to MAX_REDIRECTS redirects, each hop checked as above and by
    `check_hop` (e.g. "already in the library"). Raises UsageError or SourceError with a
    one-line reason."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        check_hop(url)
        got = _get(url, allow_private, deadline, timeout, max_bytes)
        if isinstance(got, Fetched):
            return got
        url = got
    raise UsageError(f"{url} redirects more than {MAX_REDIRECTS} times")


def _get(
    url: str, allow_private: bool, deadline: float, timeout: float, max_bytes: int
) -> Fetched | str:
    """One hop: the page, or the URL it redirects to. A client of its own per hop, so a
    connection made for one host name is never reused for another."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    addresses = resolve(host, port, deadline - time.monotonic())
    for ip in addresses:  # every address: a name may mix a public and a private one
        kind = address_kind(ip)
        if kind and (why := refusal(url, host, ip, kind, allow_private)):
            raise UsageError(why)
    where = parts.netloc.rsplit("@", 1)[-1]
    last: Exception | None = None
    for ip in addresses:
        try:
            target = httpx.URL(url).copy_with(host=str(ip))
        except httpx.InvalidURL:
            raise UsageError(f"not a valid URL: {url[:100]!r}") from None
        headers = {"Host": where}
        extensions = {"sni_hostname": host} if parts.scheme.lower() == "https" else {}
        client = httpx.Client(
            timeout=httpx.Timeout(max(deadline - time.monotonic(), 0.1)),
            follow_redirects=False,
            trust_env=False,  # a proxy would resolve the name itself, after our check
            headers={"User-Agent": USER_AGENT, "Accept": "text/html, application/pdf;q=0.9"},
        )
        try:
            with client, client.stream("GET", target, headers=headers, extensions=extensions) as r:
                if r.status_code in _REDIRECTS:
                    location = r.headers.get("location", "").strip()
                    if not location:
                        raise SourceError(f"{url} redirects without saying where to")
                    return _next_hop(url, location)
                if r.status_code >= 400:
                    _refuse_status(url, r.status_code, r.reason_phrase)
                body = _read(r, url, deadline, max_bytes)
                return Fetched(body, r.headers.get("content-type", ""), url)
        except httpx.ConnectError as e:
            last = e  # try the name's next address
        except httpx.TimeoutException:
            said = f"{url} did not answer within {timeout:g} s; try again later"
            raise SourceError(said) from None
        except httpx.HTTPError as e:
            raise SourceError(f"fetching {url} failed: {_reason(e)}") from None
    raise SourceError(f"can't connect to {where}: {_reason(last) if last else 'no address'}")


def _next_hop(url: str, location: str) -> str:
    target = urljoin(url, location)
    scheme = urlsplit(target).scheme.lower()
    if scheme not in ("http", "https") or not urlsplit(target).hostname:
        raise UsageError(f"{url} redirects to {target[:100]!r}, which is not an http(s) URL")
    return target


def _read(response: httpx.Response, url: str, deadline: float, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise UsageError(too_large(url, int(declared), max_bytes))
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise UsageError(too_large(url, None, max_bytes))
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("deadline")
    return bytes(body)


def _refuse_status(url: str, status: int, phrase: str) -> None:
    said = f"{status} {phrase}".strip()
    if status >= 500:
        raise SourceError(f"the server answered {said} for {url}; try again later")
    if status in (404, 410):
        raise UsageError(f"the server answered {said}: there is no page at {url}")
    if status in (401, 403):
        raise UsageError(f"the server answered {said}: {url} is not public")
    raise UsageError(f"the server answered {said} for {url}")


def too_large(url: str, size: int | None, limit: int) -> str:
    got = f" ({size / 2**20:.1f} MiB)" if size else ""
    return f"{url} is too large{got}; the limit is {limit / 2**20:g} MiB"


def _reason(e: BaseException) -> str:
    text = re.sub(r"\s+", " ", str(e)).strip()
    return (text or type(e).__name__)[:200]
