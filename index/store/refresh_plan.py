"""What a refresh must do: the diff between the sources folder and the live index's
catalog (new, changed, unchanged, removed, skipped with the reason, copies indexed once),
worked out without writing anything (index/store/refresh.py applies it)."""

from __future__ import annotations

from pathlib import Path

from index.documents import SourceDocument
from index.errors import SourceError, SourcesUnavailable
from index.ingest.loaders import (
    Skipped,
    doc_id_for,
    is_web_url,
    list_sources,
    load_document,
    sha256_of,
    unreadable_reason,
)
from index.store.catalog import Catalog, DocEntry
from index.store.refresh_report import RefreshReport


def plan(root: Path, catalog: Catalog, rebuild: bool) -> tuple[RefreshReport, list[SourceDocument]]:
    """Work out the diff between the sources folder `root` and `catalog` without writing
    anything: (report, documents to embed). With `rebuild`, every document is read again.

    A file identical to another one (same bytes, same PDF metadata file) is indexed
    once: the copy already indexed, else the one with the shortest path, keeps it; the
    others are skipped with the reason (and leave the index if they were in it), so a
    copied file neither breaks a build nor answers every question twice."""
    report = RefreshReport()
    to_embed: list[SourceDocument] = []
    seen: set[str] = set()
    try:
        listing = list_sources(root)
    except SourcesUnavailable as e:  # no folder, no refresh: nothing is taken out
        raise SourcesUnavailable(f"{e}; the index is unchanged") from None
    for path in listing.files:
        doc_id = doc_id_for(path, root)
        seen.add(doc_id)
        known = catalog.documents.get(doc_id)
        try:
            if known and not rebuild and not _unsafe_url(known) and sha256_of(path) == known.sha256:
                report.unchanged.append(doc_id)
                continue
            doc = load_document(path, root)
        except (SourceError, OSError) as e:
            reason = str(e) if isinstance(e, SourceError) else unreadable_reason(path, e)
            if known and not rebuild:  # keep serving what was indexed before
                reason += "; the previously indexed version is kept"
                report.unchanged.append(doc_id)
            report.skipped.append(Skipped(doc_id, reason))
            continue
        (report.updated if known else report.added).append(doc_id)
        to_embed.append(doc)
    for folder in listing.unlisted:
        # Its files are unknown, not gone: like an unreadable file, what was indexed
        # from it keeps serving.
        kept = [] if rebuild else [d for d in catalog.documents if d.startswith(folder.path)]
        kept = [d for d in kept if d not in seen]
        seen.update(kept)
        report.unchanged.extend(kept)
        reason = folder.reason
        if kept:
            some = "the document" if len(kept) == 1 else f"the {len(kept)} documents"
            are = "is" if len(kept) == 1 else "are"
            reason += f"; {some} previously indexed from it {are} kept"
        report.skipped.append(Skipped(folder.path, reason))
    to_embed = _without_copies(catalog, report, to_embed)
    report.removed = sorted(d for d in catalog.documents if d not in seen or d in report.copies)
    return report, to_embed


def _without_copies(
    catalog: Catalog, report: RefreshReport, docs: list[SourceDocument]
) -> list[SourceDocument]:
    """`docs` less those identical to a document kept or taken before them."""
    first: dict[str, str] = {}
    for doc_id in report.unchanged:
        if doc_id in catalog.documents:
            first.setdefault(catalog.documents[doc_id].sha256, doc_id)
    # Indexed before (a rebuild re-embeds those too), then the shortest name first:
    # `notes.md` over `notes-2.md` or `copy of notes.md`.
    order = sorted(docs, key=lambda d: (d.doc_id not in catalog.documents, len(d.doc_id)))
    for doc in order:
        first.setdefault(doc.sha256, doc.doc_id)
    kept: list[SourceDocument] = []
    for doc in docs:
        original = first[doc.sha256]
        if original == doc.doc_id:
            kept.append(doc)
            continue
        for bucket in (report.added, report.updated):
            if doc.doc_id in bucket:
                bucket.remove(doc.doc_id)
        report.copies.append(doc.doc_id)
        why = f"the same file as {original}, which is indexed; not indexed twice"
        report.skipped.append(Skipped(doc.doc_id, why))
    return kept


def _unsafe_url(entry: DocEntry) -> bool:
    """Indexed with a url a citation mustn't link to ("javascript:…"), before the loader
    refused them: the file is read again, so the index drops it."""
    url = entry.metadata.get("url")
    return url is not None and not is_web_url(url)
