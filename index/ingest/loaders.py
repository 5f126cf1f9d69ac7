"""Read source files into `SourceDocument`s: the sources folder listed, each file read by
its format's reader (index/ingest/formats.py: Markdown with YAML front matter, plain text,
HTML, PDF) with a PDF's metadata file beside it. A file that can't be read raises
`SourceError` with a reason a moderator can act on; `scan_sources` turns that into a skip.

A document's text is what its reader sees, and what citations quote: Markdown and HTML
without their markup (index/ingest/markup.py, with where the headings and tables are), and
no control characters in any format (a quote printed to a terminal must not clear the
screen or hide a link)."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from index.documents import SourceDocument
from index.errors import SourceError, SourcesUnavailable
from index.ingest.formats import FRONT_MATTER_KEYS, LOADERS, decode
from index.text import without_controls

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 50 * 1024 * 1024
# A PDF can't carry front matter: `paper.pdf.yml` beside `paper.pdf` holds its metadata
# (the same keys; `policybot add` writes one with the URL). It is part of the PDF's source,
# not a source of its own.
SIDECAR_SUFFIX = ".yml"


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


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
        raw = yaml.safe_load(decode(data)) or {}
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
