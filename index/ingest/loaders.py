"""Read source files into `SourceDocument`s: Markdown with YAML front matter, plain text,
HTML (main text only) and PDF (with page numbers). A file that can't be read raises
`SourceError` with a reason a moderator can act on; `scan_sources` turns that into a skip.

A document's text is what its reader sees, and what citations quote: Markdown and HTML
without their markup (index/ingest/markup.py, with where the headings and tables are), and
no control characters in any format (a quote printed to a terminal must not clear the
screen or hide a link)."""

from __future__ import annotations

import codecs
import errno
import hashlib
import logging
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from index.documents import PageSpan, SourceDocument, Structure
from index.errors import SourceError, SourcesUnavailable
from index.ingest.markup import read_markdown
from index.text import split_sentences, without_controls

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 50 * 1024 * 1024
FRONT_MATTER_KEYS = ("title", "author", "date", "site", "url", "origin", "description")
# A PDF can't carry front matter: `paper.pdf.yml` beside `paper.pdf` holds its metadata
# (the same keys; `policybot add` writes one with the URL). It is part of the PDF's source,
# not a source of its own.
SIDECAR_SUFFIX = ".yml"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.S | re.M)
_MD_TITLE = re.compile(r"\A\s*#\s+(.+?)\s*#*\s*$", re.M)  # a leading level-1 heading


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class Loaded:
    """What a loader read: the text as cited, its title and metadata, and where its PDF
    pages and its headings, tables and code are."""

    text: str
    title: str
    meta: dict[str, str]
    pages: tuple[PageSpan, ...] = ()
    structure: tuple[Structure, ...] = ()


# Text in UTF-32 or UTF-16 opens with its byte order mark (Windows Notepad's "Unicode",
# PowerShell 5's `>`): read as what it is, not taken for binary by its NUL bytes. UTF-32
# first: its little-endian mark starts with UTF-16's.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SPACING = re.compile(r"[ \n\t\u3000]")


def _wide(data: bytes) -> str | None:
    """The text of a file with a UTF-32 or UTF-16 byte order mark, if it reads as text:
    it decodes, has no NUL and has a space or a line break. Bytes that merely open like one
    (`\\xff\\xfe` then ASCII pairs: CJK-looking nonsense) are judged as any other file."""
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                head = data[: 8192 * 4].decode(codec, errors="ignore")
                text = data.decode(codec) if _SPACING.search(head) else None
            except UnicodeDecodeError:
                return None
            return text if text is not None and "\x00" not in head else None
    return None


def _decode(data: bytes) -> str:
    wide = _wide(data)
    if wide is not None:
        return _normalise(wide)
    if b"\x00" in data[:8192]:
        raise SourceError("binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SourceError(f"not valid UTF-8 text (bad byte at offset {e.start})") from None
    return _normalise(text)


def _normalise(text: str) -> str:
    """Line endings and invisible spaces normalised, so quotes match what people see;
    control characters and terminal escape sequences dropped (index.text.without_controls):
    nobody reads them, and a terminal would act on them."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return without_controls(text)


def _fallback_title(text: str) -> str:
    """No headline: name the article by its opening words rather than invent a title."""
    first = text.strip()
    spans = split_sentences(first)
    if spans:
        first = first[spans[0].start : spans[0].end]
    first = " ".join(first.split())
    return first if len(first) <= 90 else first[:87].rsplit(" ", 1)[0] + "…"


def _finish(text: str, meta: dict[str, str], title: str | None) -> tuple[str, str, dict]:
    body = text.strip("\n")
    if not body.strip():
        raise SourceError("no text to index (empty)")
    return body, (title or "").strip() or _fallback_title(body), meta


def _read(markdown: str, meta: dict[str, str], title: str | None, soft_break: str = "\n") -> Loaded:
    """Markdown (a file's, or a web page's as trafilatura writes it) as its text; with no
    title given, a level-1 heading opening it is the title, as its words read."""
    read = read_markdown(markdown, soft_break)
    if not read.text.strip():
        raise SourceError("no text to index (empty)")
    first = read.structure[0] if read.structure else None
    if title is None and _MD_TITLE.match(markdown) and first and first.start == 0:
        title = read.text[first.start : first.end]
    found = (title or "").strip() or _fallback_title(read.text)
    return Loaded(read.text, found, meta, structure=read.structure)


def load_markdown(data: bytes) -> Loaded:
    text = _decode(data)
    meta: dict[str, str] = {}
    if text.startswith("---"):
        match = _FRONT_MATTER.match(text)
        if not match:
            raise SourceError("broken front matter: no closing '---' line")
        try:
            raw = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as e:
            problem = getattr(e, "problem", None) or "invalid YAML"
            raise SourceError(f"broken front matter: {problem}") from None
        if not isinstance(raw, dict):
            raise SourceError("broken front matter: expected 'key: value' lines")
        meta = {k: str(v).strip() for k, v in raw.items() if k in FRONT_MATTER_KEYS and v}
        text = text[match.end() :]
    return _read(text, meta, meta.pop("title", None))


def load_text(data: bytes) -> Loaded:
    return Loaded(*_finish(_decode(data), {}, None))


def load_html(data: bytes) -> Loaded:
    """The article's main text and metadata; navigation, ads and comments are dropped.
    trafilatura writes the text as Markdown, so its headings, lists and tables are known
    and read as the Markdown of a file is (its plain-text output puts a heading and the
    paragraph after it on consecutive lines, which read as one sentence)."""
    import trafilatura

    html = _decode(data)
    text = trafilatura.extract(
        html,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        output_format="markdown",
    )
    if not text or not text.strip():
        raise SourceError("no article text found in the HTML")
    # Only dates the page states in its markup: no guessing from "© 2013" or the URL.
    found = trafilatura.extract_metadata(
        html, date_config={"extensive_search": False, "original_date": True}
    )
    meta: dict[str, str] = {}
    title = None
    if found is not None:
        title = found.title
        for key, value in (
            ("author", found.author),
            ("date", found.date),
            ("site", found.sitename),
            ("url", found.url),
        ):
            if value:
                meta[key] = str(value)
    return _read(_normalise(text), meta, title, soft_break=" ")


def load_pdf(data: bytes) -> tuple[str, str, dict, tuple[PageSpan, ...]]:
    """Text page by page, pages separated by a blank line, each page's span recorded."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SourceError("the PDF is encrypted")
        parts: list[str] = []
        pages: list[PageSpan] = []
        pos = 0
        for number, page in enumerate(reader.pages, start=1):
            page_text = _normalise(page.extract_text() or "").strip()
            if not page_text:
                continue
            if parts:
                parts.append("\n\n")
                pos += 2
            parts.append(page_text)
            pages.append(PageSpan(number, pos, pos + len(page_text)))
            pos += len(page_text)
        info_title = (reader.metadata.title if reader.metadata else None) or None
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise SourceError(f"unreadable PDF ({type(e).__name__})") from None
    text = "".join(parts)
    if not text.strip():
        raise SourceError("the PDF has no extractable text (a scan?)")
    body, title, meta = _finish(text, {}, info_title)
    return body, title, meta, tuple(pages)


def _load_pdf(data: bytes) -> Loaded:
    return Loaded(*load_pdf(data))


LOADERS: dict[str, Callable[[bytes], Loaded]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": _load_pdf,
}


def doc_id_for(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def sidecar_of(path: Path) -> Path | None:
    """The metadata file of a PDF (`x.pdf.yml`), if there is one."""
    if path.suffix.lower() != ".pdf":
        return None
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    return sidecar if sidecar.is_file() else None


def is_sidecar(path: Path) -> bool:
    return path.name.lower().endswith(".pdf" + SIDECAR_SUFFIX)


def _sidecar_meta(data: bytes, name: str) -> dict[str, str]:
    try:
        raw = yaml.safe_load(_decode(data)) or {}
    except (yaml.YAMLError, SourceError) as e:
        problem = getattr(e, "problem", None) or str(e) or "invalid YAML"
        raise SourceError(f"broken metadata file {name}: {problem}") from None
    if not isinstance(raw, dict):
        raise SourceError(f"broken metadata file {name}: expected 'key: value' lines")
    return {k: " ".join(str(v).split()) for k, v in raw.items() if k in FRONT_MATTER_KEYS and v}


def is_web_url(url: str) -> bool:
    """An http(s) address with a host: the only kind a citation may link to."""
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _web_url_only(meta: dict[str, str], doc_id: str) -> dict[str, str]:
    """`meta` without a `url` that isn't http(s) ("javascript:alert(1)", "file:///etc"): a
    citation's source would link to it. Logged, so the moderator can correct the file."""
    url = meta.get("url")
    if url is None or is_web_url(url):
        return meta
    log.warning("%s: its url %r is not an http(s) address; it is not used", doc_id, url[:100])
    return {k: v for k, v in meta.items() if k != "url"}


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, if it is a regular file within the size limit (a link to a pipe or
    a device would never end)."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise SourceError("not a regular file (a device, a pipe or a socket)")
    if info.st_size > MAX_FILE_BYTES:
        raise SourceError(
            f"too large ({info.st_size >> 20} MiB; the limit is {MAX_FILE_BYTES >> 20} MiB)"
        )
    return path.read_bytes()


def unreadable_reason(path: Path, error: OSError) -> str:
    """Why `path` can't be read, in words a moderator can act on."""
    if isinstance(error, PermissionError):
        return "permission denied"
    if path.is_symlink():
        if error.errno == errno.ELOOP:
            return "a link that loops (it leads back to itself)"
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return f"a broken link (to {os.readlink(path)})"
    return f"can't read the file ({error.strerror or type(error).__name__})"


def _fingerprint(data: bytes, sidecar: bytes | None) -> str:
    digest = hashlib.sha256(data)
    if sidecar is not None:  # editing the metadata file re-indexes the PDF
        digest.update(b"\0policybot-sidecar\0" + sidecar)
    return digest.hexdigest()


def load_document(path: Path, root: Path) -> SourceDocument:
    """Read one source file; raises SourceError with the reason it can't be used."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise SourceError(
            f"unsupported file type {path.suffix or '(none)'!r}; use " + ", ".join(sorted(LOADERS))
        )
    try:
        data = _read_bytes(path)
        sidecar = sidecar_of(path)
        sidecar_data = sidecar.read_bytes() if sidecar else None
    except OSError as e:
        raise SourceError(unreadable_reason(path, e)) from None
    loaded = loader(data)
    title, meta = loaded.title, loaded.meta
    if sidecar is not None and sidecar_data is not None:
        extra = _sidecar_meta(sidecar_data, sidecar.name)
        title = extra.pop("title", "") or title
        meta = {**meta, **extra}
    doc_id = doc_id_for(path, root)
    return SourceDocument(
        doc_id=doc_id,
        # (YAML's "\e" and HTML's "&#27;" can put control characters in metadata too)
        title=without_controls(title),
        text=loaded.text,
        sha256=_fingerprint(data, sidecar_data),
        metadata=_web_url_only({k: without_controls(v) for k, v in meta.items()}, doc_id),
        pages=loaded.pages,
        structure=loaded.structure,
    )


@dataclass(frozen=True)
class Listing:
    """What the sources folder holds: its files, and the folders in it that couldn't be
    listed (with the reason), whose files are unknown rather than gone."""

    files: list[Path]
    unlisted: list[Skipped]


def list_sources(root: Path) -> Listing:
    """Every file under the sources folder, hidden ones (and hidden folders) excepted.
    A link to a file is a file (one that loops or leads nowhere is one load_document can't
    read, and says why); a link to a folder is not followed (it could lead back up).

    Raises SourcesUnavailable when the folder itself is missing or can't be listed: an empty
    answer would read as "every source was deleted". (Path.rglob swallows a folder it
    can't list, so the walk is made here, folder by folder.)"""
    if not root.exists():
        raise SourcesUnavailable(f"the sources folder {root} does not exist")
    if not root.is_dir():
        raise SourcesUnavailable(f"the sources folder {root} is not a folder")
    files: list[Path] = []
    unlisted: list[Skipped] = []
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    path = folder / entry.name
                    # The entry's own type, where the folder's listing gives it: a folder
                    # listed but not searchable (no x bit) can't stat its files.
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(path)
                    elif entry.is_symlink() and _links_to_folder(path):
                        why = "a link to a folder; links to folders are not followed"
                        unlisted.append(Skipped(doc_id_for(path, root) + "/", why))
                    elif (entry.is_symlink() or entry.is_file()) and not is_sidecar(path):
                        # a link that loops or leads nowhere too: load_document says so
                        files.append(path)
        except OSError as e:
            why = e.strerror or type(e).__name__
            if folder == root:
                raise SourcesUnavailable(
                    f"can't list the sources folder {root} ({why.lower()})"
                ) from None
            unlisted.append(
                Skipped(doc_id_for(folder, root) + "/", f"can't list this folder ({why.lower()})")
            )
    return Listing(sorted(files), sorted(unlisted, key=lambda s: s.path))


def _links_to_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a link that loops or can't be followed: a file that can't be read
        return False


def candidate_files(root: Path) -> list[Path]:
    """The files `list_sources` finds (none when there is no sources folder yet)."""
    if not root.is_dir():
        return []
    return list_sources(root).files


def scan_sources(root: Path) -> tuple[list[SourceDocument], list[Skipped]]:
    """Load every source file; unreadable ones are reported, never fatal."""
    docs: list[SourceDocument] = []
    skipped: list[Skipped] = []
    for path in candidate_files(root):
        try:
            docs.append(load_document(path, root))
        except SourceError as e:
            skipped.append(Skipped(doc_id_for(path, root), str(e)))
    return docs, skipped


def sha256_of(path: Path) -> str:
    """The change detector: the file's bytes (and a PDF's metadata file's, if any)."""
    sidecar = sidecar_of(path)
    return _fingerprint(_read_bytes(path), sidecar.read_bytes() if sidecar else None)
