"""Adding sources by URL and removing sources: what `policybot add/remove` and the bot's
`/source add`, `/source remove` call (through `KnowledgeBase.add_url/remove_source`).

`add_url` fetches one web page or PDF (http/https only, public addresses only unless
SOURCE_FETCH_ALLOW_PRIVATE is set, with a time and size limit: see index/ingest/fetching.py) and
saves it into the sources folder: an article as Markdown with YAML front matter (title,
author, date, site, url) and the main text exactly as extracted, a PDF as it came with a
`<name>.pdf.yml` metadata file beside it (the loader reads both). Files appear atomically
and never replace an existing file. Neither function refreshes the index: the caller does.

Errors: `UsageError` when the input itself is unusable (not an http(s) URL, not a public
address, 404, not an article, unsupported or too large, already in the library under this
or another URL of the same page, or a URL it redirects to); `SourceError` for faults that
may pass (timeout, no connection, 5xx, a sources folder that can't be written)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
import unicodedata
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from index.errors import SourceError, UsageError
from index.ingest.fetching import fetch
from index.ingest.formats import load_pdf
from index.ingest.loaders import SIDECAR_SUFFIX, candidate_files, doc_id_for
from index.ingest.source_urls import (
    FINAL_URL_KEY,
    find_by_url,
    recorded_url,
    same_page_key,
    urls_in_library,
)
from index.settings import Settings
from index.store.catalog import Catalog

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 20.0  # seconds for the whole download, not per read
MAX_FETCH_BYTES = 20 * 1024 * 1024
MIN_ARTICLE_WORDS = 50  # less main text than this is a listing, a login wall or an error page
TRASH_DIR = "removed-sources"  # under the data folder: removed files are moved here, not lost
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PDF_TYPES = ("application/pdf", "application/x-pdf")


# -- adding ------------------------------------------------------------------------------
def add_url(
    settings: Settings,
    url: str,
    *,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_FETCH_BYTES,
) -> dict[str, Any]:
    """Fetch `url` and save it into the sources folder. Returns what was saved:
    {"added": path in the sources folder, "title", "url", "kind": "article"|"pdf", and
    "author", "date", "site", "pages" when known}. Doesn't refresh the index."""
    url = check_url(url)
    root = settings.sources_dir
    known = urls_in_library(root)

    def not_in_library(hop: str) -> None:
        if existing := known.get(same_page_key(hop)):
            said = url if hop == url else f"{url} (it redirects to {hop})"
            raise UsageError(
                f"{said} is already in the library as {existing}; remove it first to fetch it again"
            )

    got = fetch(
        url,
        allow_private=settings.source_fetch_allow_private,
        timeout=timeout,
        max_bytes=max_bytes,
        check_hop=not_in_library,
    )
    data, content_type = got.body, _media_type(got.content_type)
    final = got.url if got.url != url else None
    if _is_pdf(data, content_type):
        return _save_pdf(root, url, data, final)
    if content_type and not content_type.startswith(_HTML_TYPES):
        raise UsageError(
            f"{url} is {content_type}, not a web page or a PDF; only articles (HTML) "
            "and PDFs can be added"
        )
    return _save_article(root, url, data, content_type, final)


def check_url(url: str) -> str:
    """The URL, stripped, if it is an absolute http(s) URL with a host; else UsageError."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (a port that isn't a number raises here)
    except ValueError:
        raise UsageError(f"not a valid URL: {url[:100]!r}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"only http:// and https:// URLs can be added, not {url[:100]!r}")
    if not host:
        raise UsageError(f"the URL has no host name: {url[:100]!r}")
    return url


def _media_type(content_type: str) -> str:
    """Lower-case media type without parameters, but with the charset: trafilatura reads
    bytes, and a header charset beats its guess."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    charset = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
    return media_type + (f"; charset={charset.group(1)}" if charset else "")


def _is_pdf(data: bytes, content_type: str) -> bool:
    return content_type.startswith(_PDF_TYPES) or data[:1024].lstrip().startswith(b"%PDF-")


def _save_article(
    root: Path, url: str, data: bytes, content_type: str, final: str | None
) -> dict[str, Any]:
    """Main text and metadata by trafilatura; front matter and body as Markdown."""
    import trafilatura

    charset = re.search(r"charset=([\w.:-]+)", content_type)
    html: str | bytes = data
    if charset:
        try:
            html = data.decode(charset.group(1), errors="replace")
        except LookupError:  # an unknown charset name: let trafilatura guess
            html = data
    found = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        # Only dates the page states in its markup: no guessing from "© 2013" or the URL.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = _clean_text(getattr(found, "text", None) or "")
    title = " ".join((getattr(found, "title", None) or "").split())
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if lines and title and " ".join(lines[0].split()) == title:
        lines = lines[1:]  # the headline is the title, kept in the front matter
    words = sum(len(line.split()) for line in lines)
    if words < MIN_ARTICLE_WORDS:
        raise UsageError(
            f"{url} doesn't look like an article: only {words} words of main text found "
            "(a listing, a login page or an error page?)"
        )
    body = "\n\n".join(map(_markdown_literal, lines))
    meta: dict[str, str] = {"title": title or _title_from("\n\n".join(lines))}
    host = urlsplit(url).netloc.lower()
    for key, attr in (("author", "author"), ("date", "date"), ("site", "sitename")):
        value = " ".join(str(getattr(found, attr, None) or "").split())
        if value and not (key == "site" and value.lower() in (host, host.split(":")[0])):
            meta[key] = value  # (a site name that is only the host name is not stated)
    meta["url"] = url
    if final:
        meta[FINAL_URL_KEY] = final
    meta["origin"] = f"fetched by policybot add on {datetime.now(UTC).date().isoformat()}"
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    content = f"---\n{front}---\n\n{body}\n".encode()
    path = _write_new(root, _slug(meta["title"]) or "article", ".md", content)
    return {
        "added": doc_id_for(path, root),
        "title": meta["title"],
        "url": url,
        "kind": "article",
        **{k: meta[k] for k in ("author", "date", "site") if k in meta},
    }


# The page's text is saved as Markdown (the file is read back without its markup), so a
# character Markdown would read as markup is escaped: "*starred*" stays as written. A line
# opening with "- " is trafilatura's list item, kept as one.
_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>])")
_LINE_MARKUP = re.compile(r"^([#>]|\+ )")
_ORDERED = re.compile(r"^(\d+)([.)] )")


def _markdown_literal(line: str) -> str:
    line = _INLINE_MARKUP.sub(r"\\\1", line)
    return _ORDERED.sub(r"\1\\\2", _LINE_MARKUP.sub(r"\\\1", line))


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return text.replace("\u200b", "").replace("\ufeff", "")


def _title_from(body: str) -> str:
    first = " ".join(body.split()[:12])
    return first + ("…" if len(body.split()) > 12 else "")


def _save_pdf(root: Path, url: str, data: bytes, final: str | None) -> dict[str, Any]:
    """Check the PDF is readable now (not at the next refresh), then save it as it came."""
    try:
        _, title, _, pages = load_pdf(data)
    except SourceError as e:
        raise UsageError(f"{url} is a PDF that can't be used: {e}") from None
    name = _slug(title) or _slug(Path(urlsplit(url).path).stem) or "document"
    path = _write_new(root, name, ".pdf", data)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    meta = {
        "url": url,
        **({FINAL_URL_KEY: final} if final else {}),
        "origin": f"fetched by policybot add on {datetime.now(UTC).date().isoformat()}",
    }
    try:
        _write_atomic(sidecar, yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).encode())
    except BaseException:
        path.unlink(missing_ok=True)  # a PDF without its URL would be cited by path
        raise
    return {
        "added": doc_id_for(path, root),
        "title": title,
        "url": url,
        "kind": "pdf",
        "pages": pages[-1].number if pages else 0,
    }


def _slug(text: str, limit: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug


def _write_new(root: Path, stem: str, suffix: str, content: bytes) -> Path:
    """Write `content` as root/stem+suffix, or stem-2, stem-3 …: never over another file.
    The file appears whole (a refresh running meanwhile sees all of it or nothing)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".{stem}.{uuid.uuid4().hex[:8]}.tmp"  # hidden: refreshes ignore it
        _write_file(tmp, content)
        try:
            for n in range(1, 1000):
                path = root / (stem + (f"-{n}" if n > 1 else "") + suffix)
                if path.exists() or path.with_name(path.name + SIDECAR_SUFFIX).exists():
                    continue
                try:
                    os.link(tmp, path)  # fails if the name was taken meanwhile: no clobbering
                except FileExistsError:
                    continue
                return path
            raise SourceError(f"too many files named {stem}{suffix} in {root}")
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as e:
        raise SourceError(f"can't save into the sources folder {root}: {_os_reason(e)}") from None


def _write_atomic(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        _write_file(tmp, content)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise SourceError(
            f"can't save into the sources folder {path.parent}: {_os_reason(e)}"
        ) from None


def _write_file(path: Path, content: bytes) -> None:
    try:
        with open(path, "xb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _os_reason(e: OSError) -> str:
    return e.strerror or type(e).__name__


# -- removing -------------------------------------------------------------------------
def resolve_source(root: Path, ref: str) -> Path:
    """The file `ref` names inside the sources folder (relative to it, or a path that lies
    in it); UsageError for anything outside it."""
    ref = ref.strip()
    if not ref:
        raise UsageError("say which source to remove: its path in the sources folder or its URL")
    real_root = root.resolve()
    given = Path(ref).expanduser()
    inside: list[Path] = []
    for candidate in [given] if given.is_absolute() else [root / given, Path.cwd() / given]:
        if candidate.name in ("", ".", ".."):
            continue
        # The folder is resolved (symlinks followed, `..` applied), the file itself is not:
        # nothing outside the sources folder can be reached, and a symlink in it is removed
        # as a link.
        parent = candidate.parent.resolve()
        if parent == real_root or real_root in parent.parents:
            inside.append(parent / candidate.name)
    if not inside:
        raise UsageError(f"{ref} is outside the sources folder {root}; give a path inside it")
    return next((p for p in inside if p.exists() or p.is_symlink()), inside[0])


def remove_source(
    settings: Settings, catalog: Catalog, ref: str, *, keep_copy: bool = True
) -> dict[str, Any]:
    """Remove one source by its path in the sources folder or its URL. The file (and a PDF's
    metadata file) is moved to `<data>/removed-sources/<time>/` unless keep_copy is False,
    so a mistaken remove loses nothing. Returns {"removed": path, "title", "source",
    "kept_copy": path or None}. Doesn't refresh the index."""
    root = settings.sources_dir
    ref = (ref or "").strip()
    if re.match(r"(?i)https?://", ref):
        matches = find_by_url(root, ref, catalog)
        if not matches:
            raise UsageError(f"no source in the library has the URL {ref}")
        if len(matches) > 1:
            raise UsageError(
                f"{len(matches)} sources have the URL {ref} ({', '.join(matches)}); "
                "remove them one by one by path"
            )
        ref = matches[0]
    path = resolve_source(root, ref)
    doc_id = path.relative_to(root.resolve()).as_posix()
    entry = catalog.documents.get(doc_id)
    if not path.is_file():
        if entry:  # deleted by hand already: the caller's refresh drops it from the index
            return {
                "removed": doc_id,
                "title": entry.title,
                "source": entry.source,
                "kept_copy": None,
            }
        if path.is_dir():
            raise UsageError(f"{ref} is a folder; remove the files in it one by one")
        raise UsageError(f"there is no source {ref!r} in the library (see the list of sources)")
    if path not in {p.parent.resolve() / p.name for p in candidate_files(root)}:
        raise UsageError(f"{ref} is not a source (hidden files and PDF metadata files aren't)")
    url = recorded_url(path)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    moving = [path] + ([sidecar] if path.suffix.lower() == ".pdf" and sidecar.is_file() else [])
    kept = _move_away(settings.data_dir, moving) if keep_copy else None
    if not keep_copy:
        try:
            for p in moving:
                p.unlink()
        except OSError as e:
            raise SourceError(f"can't remove {doc_id}: {_os_reason(e)}") from None
    log.info("removed source %s%s", doc_id, f" (a copy is in {kept})" if kept else "")
    return {
        "removed": doc_id,
        "title": entry.title if entry else None,
        "source": entry.source if entry else (url or doc_id),
        "kept_copy": str(kept) if kept else None,
    }


def _move_away(data_dir: Path, files: list[Path]) -> Path:
    """Move files into a fresh folder of the data folder's trash; all of them or none."""
    trash = data_dir / TRASH_DIR / (time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])
    moved: list[tuple[Path, Path]] = []
    try:
        trash.mkdir(parents=True)
        for f in files:
            shutil.move(f, trash / f.name)
            moved.append((f, trash / f.name))
    except OSError as e:
        for original, target in reversed(moved):  # put back what was moved
            shutil.move(target, original)
        raise SourceError(
            f"can't remove {files[0].name}: keeping a copy in {trash.parent} failed "
            f"({_os_reason(e)}); nothing was removed"
        ) from None
    return trash / files[0].name
