"""Which source a URL names: the URLs a source file records (a Markdown file's front
matter, a PDF's metadata file), and one key for every URL of the same page, so that a page
is never added twice and can be removed by any of its URLs (index/ingest/intake.py)."""

from __future__ import annotations

import ipaddress
import re
import socket
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from index.ingest.loaders import SIDECAR_SUFFIX, candidate_files, doc_id_for
from index.store.catalog import Catalog

# Where a fetched page was redirected to, beside the `url` it was added by (so the page
# can't be added again under its final address either).
FINAL_URL_KEY = "final_url"
# Query parameters that only say where a reader came from: the same page with or without
# them is one source (Google Analytics' utm_*, Facebook's, Google Ads', Microsoft's,
# Mailchimp's and HubSpot's click ids).
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi|igshid)$",
    re.I,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_page_key(url: str) -> str:
    """What two URLs of one page have in common, for "already in the library": scheme
    (http and https are one page), `www.`, default port, fragment, trailing slash and
    tracking parameters don't count; the remaining query parameters count in any order."""
    try:
        p = urlsplit(url.strip())
        host = (p.hostname or "").lower().rstrip(".")
        port = p.port
    except ValueError:
        return url.strip()
    host = _numeric_host(host).removeprefix("www.")
    if port and port != _DEFAULT_PORTS.get(p.scheme.lower()):
        host = f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if not _TRACKING.match(k)
    )
    return urlunsplit(("", host, p.path.rstrip("/"), urlencode(query), ""))


def _numeric_host(host: str) -> str:
    """An address written in any form (`127.1`, `0x7f.1`, `[::ffff:7f00:1]`) as one form."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
        return f"[{ip}]" if ip.version == 6 else str(ip)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fx.]+", host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))  # the forms the resolver reads
        except OSError:
            pass
    return host


def recorded_urls(path: Path) -> list[str]:
    """The URLs a source file records: a Markdown file's front matter `url` (and where it
    redirected to, `final_url`), the same keys in a PDF's metadata file."""
    try:
        if path.suffix.lower() in (".md", ".markdown"):
            with open(path, "rb") as f:
                head = f.read(16_384).decode("utf-8-sig", errors="replace")
            match = re.match(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*$", head, re.S | re.M)
            raw = yaml.safe_load(match.group(1)) if match else None
        elif path.suffix.lower() == ".pdf":
            sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
            raw = yaml.safe_load(sidecar.read_bytes()) if sidecar.is_file() else None
        else:
            return []
    except (OSError, yaml.YAMLError):
        return []
    if not isinstance(raw, dict):
        return []
    return [str(raw[k]).strip() for k in ("url", FINAL_URL_KEY) if raw.get(k)]


def recorded_url(path: Path) -> str | None:
    """The URL a source file is cited by, if it records one."""
    urls = recorded_urls(path)
    return urls[0] if urls else None


def urls_in_library(root: Path) -> dict[str, str]:
    """same_page_key of every URL the sources folder records -> the file recording it."""
    found: dict[str, str] = {}
    for p in candidate_files(root):
        for u in recorded_urls(p):
            found.setdefault(same_page_key(u), doc_id_for(p, root))
    return found


def find_by_url(root: Path, url: str, catalog: Catalog | None = None) -> list[str]:
    """Paths (in the sources folder) of the files that record `url`, indexed or not yet."""
    want = same_page_key(url)
    found = {
        doc_id_for(p, root)
        for p in candidate_files(root)
        if any(same_page_key(u) == want for u in recorded_urls(p))
    }
    if catalog is not None:
        found.update(
            path
            for path, entry in catalog.documents.items()
            if want in (same_page_key(entry.source), same_page_key(entry.metadata.get("url", "")))
        )
    return sorted(found)
