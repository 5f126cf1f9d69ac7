"""Symbolic links in the sources folder, on the real pipeline: a link that loops or leads
nowhere is one skipped file with the reason, never a failed refresh; a link to a file is
that file; a link to a folder is not followed, and says so."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from index.service import KnowledgeBase

KESTREL = "The Kestrel Valley ambulance trust will open fourteen new ambulance stations by 2015."
Q_KESTREL = "How many new ambulance stations will the Kestrel Valley trust open?"


def test_a_looping_or_dangling_link_is_skipped_and_the_refresh_completes(
    make_kb: Callable[..., KnowledgeBase], tmp_path: Path
) -> None:
    kb = make_kb()
    assert kb.refresh().documents == 6
    sources = kb.settings.sources_dir
    (sources / "kestrel.md").write_text(f"# Kestrel Valley\n\n{KESTREL}\n")
    (sources / "loop-a.md").symlink_to("loop-b.md")
    (sources / "loop-b.md").symlink_to("loop-a.md")
    (sources / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    (sources / "self.txt").symlink_to("self.txt")
    report = kb.refresh()
    reasons = {s.path: s.reason for s in report.skipped}
    assert report.added == ["kestrel.md"] and report.removed == []
    assert set(reasons) == {"loop-a.md", "loop-b.md", "dangling.md", "self.txt"}
    for name in ("loop-a.md", "loop-b.md", "self.txt"):
        assert reasons[name].startswith("a link that loops"), reasons[name]
    assert reasons["dangling.md"] == f"a broken link (to {tmp_path / 'nowhere.md'})"
    assert report.documents == 7
    assert "kestrel.md" in {c.path for c in kb.answer_sync(Q_KESTREL).citations}


def test_a_link_whose_target_goes_keeps_its_indexed_version(
    make_kb: Callable[..., KnowledgeBase], tmp_path: Path
) -> None:
    """Like an unreadable file (a share not mounted): what was indexed keeps serving."""
    target = tmp_path / "elsewhere" / "kestrel.md"
    target.parent.mkdir()
    target.write_text(f"# Kestrel Valley\n\n{KESTREL}\n")
    kb = make_kb()
    (kb.settings.sources_dir / "kestrel.md").symlink_to(target)
    assert "kestrel.md" in kb.refresh().added
    target.unlink()
    report = kb.refresh()
    assert report.removed == [] and report.documents == 7
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("kestrel.md", f"a broken link (to {target}); the previously indexed version is kept")
    ]
    assert "kestrel.md" in {c.path for c in kb.answer_sync(Q_KESTREL).citations}


def test_a_link_to_a_folder_is_not_followed_and_says_so(
    make_kb: Callable[..., KnowledgeBase], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kestrel.md").write_text(f"# Kestrel Valley\n\n{KESTREL}\n")
    kb = make_kb()
    (kb.settings.sources_dir / "more").symlink_to(elsewhere)
    (kb.settings.sources_dir / "up").symlink_to(kb.settings.sources_dir)  # a loop if followed
    report = kb.refresh()
    assert report.documents == 6
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("more/", "a link to a folder; links to folders are not followed"),
        ("up/", "a link to a folder; links to folders are not followed"),
    ]


def test_a_link_to_a_device_or_pipe_is_skipped_not_read_forever(
    make_kb: Callable[..., KnowledgeBase], tmp_path: Path
) -> None:
    """/dev/zero has size 0 and never ends: reading it would fill the memory."""
    os.mkfifo(tmp_path / "pipe")
    kb = make_kb()
    (kb.settings.sources_dir / "zero.txt").symlink_to("/dev/zero")
    (kb.settings.sources_dir / "pipe.md").symlink_to(tmp_path / "pipe")
    report = kb.refresh()
    assert report.documents == 6
    assert sorted((s.path, s.reason) for s in report.skipped) == [
        ("pipe.md", "not a regular file (a device, a pipe or a socket)"),
        ("zero.txt", "not a regular file (a device, a pipe or a socket)"),
    ]
