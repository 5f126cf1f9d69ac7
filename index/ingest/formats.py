"""Each file format read to the text a reader sees and its metadata: Markdown with YAML
front matter, plain text, HTML (main text only) and PDF (with page numbers), in any of the
encodings people save text in. A file that can't be read raises `SourceError` with a
reason a moderator can act on."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from index.documents import PageSpan, Structure
from index.errors import SourceError
from index.ingest.markup import read_markdown
from index.text import split_sentences, without_controls

FRONT_MATTER_KEYS = ("title", "author", "date", "site", "url", "origin", "description")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.S | re.M)
_MD_TITLE = re.compile(r"\A\s*#\s+(.+?)\s*#*\s*$", re.M)  # a leading level-1 heading


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


def decode(data: bytes) -> str:
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
    text = decode(data)
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
    return Loaded(*_finish(decode(data), {}, None))


def load_html(data: bytes) -> Loaded:
    """The article's main text and metadata; navigation, ads and comments are dropped.
    trafilatura writes the text as Markdown, so its headings, lists and tables are known
    and read as the Markdown of a file is (its plain-text output puts a heading and the
    paragraph after it on consecutive lines, which read as one sentence)."""
    import trafilatura

    html = decode(data)
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
