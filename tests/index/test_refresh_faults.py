"""Refreshes that die, collide or can't write: the previous index keeps answering, nothing
is lost, and the next refresh completes with the right diff.

`kill -9` points are made deterministic by the refresh's test hook POLICYBOT_TEST_CRASH_AT
(see index/store/refresh.py): the `policybot index` process SIGKILLs itself at that point. A
long-lived `policybot ask --json -` process reads the index throughout, as the bot would."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index.ingest.llama_embedding import MiniLMEmbedding
from index.service import KnowledgeBase
from index.settings import Settings
from index.store.chroma import ChromaStore
from index.store.refresh_lock import refresh_lock
from tests.pdf_maker import make_pdf

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "sources"
GONE = "oxfordshire-labour-members-defeat-nhs-reforms.md"  # deleted by the change
EDITED = "unions-defeat-private-sector-plans-for-nhs.md"  # changed by the change
Q_OLD = "How many staff could Oxford Radcliffe Hospitals NHS Trust lose?"
Q_NEW = "How many new ambulance stations will the Kestrel Valley trust open?"
NEW_FACT = "The Kestrel Valley ambulance trust will open fourteen new ambulance stations by 2015"


def policybot(
    folder: Path,
    *args: str,
    crash_at: str | None = None,
    env_extra: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
    **kw: Any,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "POLICYBOT_TEST_CRASH_AT"}
    if crash_at:
        env["POLICYBOT_TEST_CRASH_AT"] = crash_at
    env.update(env_extra or {})
    return subprocess.run(
        [*prefix, sys.executable, "-m", "policybot", "--sources", str(folder / "sources"),
         "--data", str(folder / "data"), *args],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=env, check=False, **kw,
    )  # fmt: skip


class Reader:
    """`policybot ask --json -` kept running: one question in, one JSON answer out."""

    def __init__(
        self, folder: Path, command: list[str] | None = None, env: dict[str, str] | None = None
    ) -> None:
        command = command or [
            sys.executable, "-m", "policybot", "--sources", str(folder / "sources"),
            "--data", str(folder / "data"), "ask", "--json", "-",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd=ROOT, env=env,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def ask(self, question: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(question + "\n")
        self.proc.stdin.flush()
        try:
            return json.loads(self.lines.get(timeout=180))
        except queue.Empty:
            self.proc.kill()
            raise AssertionError(f"the reader gave no answer: {self.proc.stderr.read()}") from None

    def cites(self, question: str) -> set[str]:
        answer = self.ask(question)
        assert "error" not in answer, answer
        return set() if answer["refused"] else {c["path"] for c in answer["citations"]}

    def close(self) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        return self.proc.stderr.read() if self.proc.stderr else ""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, embed_model: MiniLMEmbedding) -> Path:
    """The seed articles and a complete index of them, built once; tests copy it."""
    root = tmp_path_factory.mktemp("fault-template")
    shutil.copytree(SEED, root / "sources")
    kb = KnowledgeBase(
        Settings(sources_dir=root / "sources", data_dir=root / "data"), embed_model=embed_model
    )
    assert kb.refresh().documents == 6
    return root


@pytest.fixture
def library(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template / "sources", tmp_path / "sources")
    shutil.copytree(template / "data", tmp_path / "data")
    return tmp_path


@pytest.fixture
def reader(library: Path) -> Iterator[Reader]:
    r = Reader(library)
    yield r
    if r.proc.poll() is None:
        r.close()


def change_the_library(sources: Path) -> None:
    """One deletion, one edit, and 17 new short notes: 18 documents to embed, more than
    one embedding batch (16), so that a crash can fall between two batches."""
    (sources / GONE).unlink()
    with open(sources / EDITED, "a", encoding="utf-8") as f:
        f.write("\nThe unions said they would ballot members again in the spring.\n")
    (sources / "kestrel-valley.md").write_text(
        f'---\ntitle: "Kestrel Valley ambulance plan"\n---\n\n{NEW_FACT}, the trust said.\n'
    )
    for n in range(1, 17):
        (sources / f"note-{n:02}.md").write_text(
            f"# Council note {n}\n\nCouncil budget line {n} was approved at meeting {n + 40}.\n"
        )


def test_kill_9_at_any_point_of_a_refresh_leaves_the_previous_index_serving(
    library: Path, reader: Reader
) -> None:
    assert GONE in reader.cites(Q_OLD)
    change_the_library(library / "sources")
    for point in ("after_copy", "mid_embed", "before_publish"):
        killed = policybot(library, "index", "--json", crash_at=point)
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
        assert killed.stdout == ""
        # The reader still answers from the previous index …
        assert GONE in reader.cites(Q_OLD), point
        assert "kestrel-valley.md" not in reader.cites(Q_NEW), point
    # … and so does anyone else who opens the store.
    store = ChromaStore(Settings(sources_dir=library / "sources", data_dir=library / "data"))
    assert sorted(store.read_catalog().documents) == sorted(p.name for p in SEED.iterdir())

    done = policybot(library, "index", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    new = sorted(["kestrel-valley.md"] + [f"note-{n:02}.md" for n in range(1, 17)])
    assert (report["added"], report["updated"], report["removed"]) == (new, [EDITED], [GONE])
    assert (report["unchanged"], report["documents"], report["skipped"]) == (4, 22, [])
    # The reader switched to the new index by itself.
    assert "kestrel-valley.md" in reader.cites(Q_NEW)
    assert GONE not in reader.cites(Q_OLD)

    # Killed just after publishing: the new index is live; the next refresh finds no work.
    (library / "sources" / "note-01.md").write_text("# Council note 1\n\nWithdrawn.\n")
    killed = policybot(library, "index", "--json", crash_at="after_publish")
    assert killed.returncode == -signal.SIGKILL
    assert "kestrel-valley.md" in reader.cites(Q_NEW)
    again = json.loads(policybot(library, "index", "--json").stdout)
    assert (again["added"], again["updated"], again["removed"]) == ([], [], [])
    assert again["unchanged"] == 22
    assert "Traceback" not in reader.close()

    # The dead refreshes' half-built generations are left alone while they are young (they
    # could be another machine's refresh in progress), then cleared with the replaced ones.
    assert len(store.generation_collections()) > 2
    (library / "sources" / "note-02.md").unlink()
    aged = {"ABANDONED_BUILD_SECONDS": "0", "GENERATION_GRACE_SECONDS": "0"}
    assert policybot(library, "index", "--json", env_extra=aged).returncode == 0
    assert set(store.generation_collections()) == store.read_catalog().collections


def test_kill_9_between_claiming_and_pointing_is_finished_by_the_next_refresh(
    library: Path, reader: Reader
) -> None:
    """Killed after claiming its version, before the catalog names its generation: readers
    keep the previous index; the next refresh, on any machine, makes the dead one's complete
    generation live rather than building another or publishing over it."""
    change_the_library(library / "sources")
    killed = policybot(library, "index", "--json", crash_at="mid_publish")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert GONE in reader.cites(Q_OLD)
    assert "kestrel-valley.md" not in reader.cites(Q_NEW)
    done = policybot(library, "index", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["added"], report["updated"], report["removed"]) == ([], [], [])
    assert report["documents"] == 22
    assert "kestrel-valley.md" in reader.cites(Q_NEW)
    assert GONE not in reader.cites(Q_OLD)


def test_a_second_refresh_refuses_clearly_while_one_runs(library: Path, reader: Reader) -> None:
    change_the_library(library / "sources")
    with refresh_lock(library / "data"):  # a refresh holds the lock (this process)
        second = policybot(library, "index", "--json")
        assert second.returncode == 1
        assert second.stdout == ""
        assert (
            second.stderr.strip()
            == f"policybot: a refresh is already running (held by pid {os.getpid()})"
        )
        assert GONE in reader.cites(Q_OLD)  # questions are still answered meanwhile


def test_two_refreshes_started_together_never_corrupt_the_index(library: Path) -> None:
    change_the_library(library / "sources")
    cmd = [sys.executable, "-m", "policybot", "--sources", str(library / "sources"),
           "--data", str(library / "data"), "index", "--json"]  # fmt: skip
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    outcomes = sorted(status for status, _, _ in results)
    # Either one refused (the other was running) or the later found nothing left to do.
    assert outcomes in ([0, 1], [0, 0]), results
    for status, out, err in results:
        if status == 1:
            assert err.strip().startswith("policybot: a refresh is already running"), err
        else:
            report = json.loads(out)
            assert report["documents"] == 22
    store = ChromaStore(Settings(sources_dir=library / "sources", data_dir=library / "data"))
    catalog = store.read_catalog()
    assert len(catalog.documents) == 22
    assert catalog.collection in store.generation_collections()


def _unshare_works() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True, check=False,
    )  # fmt: skip
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    not _unshare_works(), reason="needs root and `unshare -m` to mount a read-only/full folder"
)


def in_namespace(library: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace ($PB runs policybot on `library`)."""
    pb = f"{sys.executable} -m policybot --sources {library / 'sources'} --data {library / 'data'}"
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f"set -u\nPB='{pb}'\nDATA='{library / 'data'}'\n{script}"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False,
    )  # fmt: skip


@needs_mounts
def test_a_read_only_data_folder_is_a_clear_message_and_loses_nothing(library: Path) -> None:
    change_the_library(library / "sources")
    done = in_namespace(
        library,
        'mount --bind "$DATA" "$DATA" && mount -o remount,bind,ro "$DATA" || exit 99\n'
        '$PB index --json; echo "index-status=$?"\n'
        f'$PB ask --json "{Q_OLD}"; echo "ask-status=$?"\n',
    )
    # The refresh can't write; the index answers on from its side files, which need no
    # writing (the embedded store itself can't even be opened read-only).
    lines = done.stdout.splitlines()
    assert lines[0] == "index-status=1" and lines[-1] == "ask-status=0", done.stderr
    answer = json.loads(lines[1])
    assert not answer["refused"] and "500 staff" in answer["answer"]
    assert done.stderr.splitlines() == [
        f"policybot: can't refresh: the data folder {library / 'data'} is not writable "
        "(Read-only file system)",
    ]
    # With its side files gone, the embedded store must be opened: said in plain words.
    done = in_namespace(
        library,
        'rm -rf "$DATA/cache"\n'
        'mount --bind "$DATA" "$DATA" && mount -o remount,bind,ro "$DATA" || exit 99\n'
        f'$PB ask --json "{Q_OLD}"; echo "ask-status=$?"\n',
    )
    assert done.stdout.splitlines() == ["ask-status=1"], done.stderr
    warning, error = done.stderr.splitlines()
    assert "WARNING" in warning and "can't write side files" in warning
    assert error == (
        f"policybot: can't open the embedded Chroma store in {library / 'data' / 'chroma'}: "
        "the folder is read-only, and the embedded store needs to write to it even to "
        "answer questions"
    )
    # Writable again: nothing was lost, and the refresh completes.
    assert json.loads(policybot(library, "index", "--json").stdout)["removed"] == [GONE]


@needs_mounts
def test_a_full_data_folder_fails_the_refresh_and_keeps_the_index(library: Path) -> None:
    """The data folder on a small tmpfs: the refresh fails with a one-line message, the
    previous index still answers, and once there is room the next refresh completes."""
    sources = library / "sources"
    (sources / GONE).unlink()
    body = " ".join(f"Paragraph {n} of the long consultation response." for n in range(60))
    (sources / "long-consultation.md").write_text(f"# A long consultation\n\n{body}\n")
    used = sum(p.stat().st_size for p in (library / "data").rglob("*") if p.is_file())
    done = in_namespace(
        library,
        f'mount -t tmpfs -o size={used // 1024 + 600}k tmpfs /mnt && cp -a "$DATA/." /mnt/ '
        '&& mount --move /mnt "$DATA" || exit 99\n'
        '$PB index --json; echo "index-status=$?"\n'
        f'$PB ask --json "{Q_OLD}"; echo "ask-status=$?"\n'
        'mount -o remount,size=64m "$DATA" || exit 98\n'
        '$PB index --json; echo "index-status=$?"\n',
    )
    out = done.stdout.splitlines()
    assert out[0] == "index-status=1", done.stdout + done.stderr
    # Warnings may come first (side files not written, a left-over not dropped): the
    # refresh's own message is one line, whatever step found the disk full.
    (message,) = [line for line in done.stderr.splitlines() if line.startswith("policybot:")]
    assert re.match(r"policybot: can't [a-z ]+: the data folder ", message), done.stderr
    assert message.endswith("make room and try again; the previous index is unchanged")
    assert " is full (" in message
    assert "Traceback" not in done.stderr
    assert GONE in {c["path"] for c in json.loads(out[1])["citations"]}
    assert out[2] == "ask-status=0"
    assert out[4] == "index-status=0", done.stderr
    report = json.loads(out[3])
    assert (report["added"], report["removed"]) == (["long-consultation.md"], [GONE])


def test_corrupt_sources_are_skipped_with_reasons_and_the_rest_indexed(
    library: Path, embed_model: MiniLMEmbedding
) -> None:
    settings = Settings(sources_dir=library / "sources", data_dir=library / "data")
    kb = KnowledgeBase(settings, embed_model=embed_model)
    sources = kb.settings.sources_dir
    bad = {
        "scan.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        "latin1.txt": "Caf\u00e9 society and the NHS".encode("latin-1"),
        "broken-front-matter.md": b"---\ntitle: [unclosed\n---\nBody text here.\n",
        "empty.md": b"\n  \n",
        "truncated.pdf": make_pdf(["A policy paper."])[:200],
    }
    for name, data in bad.items():
        (sources / name).write_bytes(data)
    # An indexed article damaged on disk: its indexed version keeps answering.
    damaged = sources / GONE
    damaged.write_bytes(damaged.read_bytes()[:200] + b"\xff\xfe broken")
    (sources / "kestrel-valley.md").write_text(f"# Kestrel Valley\n\n{NEW_FACT}.\n")
    report = kb.refresh()
    reasons = {s.path: s.reason for s in report.skipped}
    assert set(reasons) == {*bad, GONE}
    assert "binary" in reasons["scan.txt"]
    assert "not valid UTF-8" in reasons["latin1.txt"]
    assert "broken front matter" in reasons["broken-front-matter.md"]
    assert "empty" in reasons["empty.md"]
    assert "PDF" in reasons["truncated.pdf"]
    assert "previously indexed version is kept" in reasons[GONE]
    assert report.added == ["kestrel-valley.md"]
    assert report.removed == []
    assert report.documents == 7
    assert GONE in {c.path for c in kb.answer_sync(Q_OLD).citations}
    assert "kestrel-valley.md" in {c.path for c in kb.answer_sync(Q_NEW).citations}


# -- folders that can't be listed ------------------------------------------------------
# Root reads any folder whatever its mode: as root, the command runs without the
# capabilities that let it (what a service account without rights to the folder gets).
DROP_READ_ANY = (
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search",
    "--inh-caps=-dac_override,-dac_read_search",
)


def _unprivileged() -> tuple[str, ...] | None:
    if os.geteuid() != 0:
        return ()
    if not shutil.which("setpriv"):
        return None
    probe = subprocess.run([*DROP_READ_ANY, "true"], capture_output=True, check=False)
    return DROP_READ_ANY if probe.returncode == 0 else None


UNPRIVILEGED = _unprivileged()
needs_unprivileged = pytest.mark.skipif(
    UNPRIVILEGED is None, reason="as root, needs setpriv to drop the right to read any folder"
)


@needs_unprivileged
def test_a_subfolder_that_cant_be_listed_keeps_its_documents_and_says_so(library: Path) -> None:
    assert UNPRIVILEGED is not None
    briefings = library / "sources" / "briefings"
    briefings.mkdir()
    (briefings / "kestrel-valley.md").write_text(f"# Kestrel Valley\n\n{NEW_FACT}.\n")
    assert policybot(library, "index").returncode == 0
    briefings.chmod(0)
    try:
        done = policybot(library, "index", "--json", prefix=UNPRIVILEGED)
    finally:
        briefings.chmod(0o755)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["removed"] == [] and report["documents"] == 7
    assert report["skipped"] == [
        {
            "path": "briefings/",
            "reason": "can't list this folder (permission denied); "
            "the document previously indexed from it is kept",
        }
    ]
    answer = json.loads(policybot(library, "ask", "--json", Q_NEW).stdout)
    assert "briefings/kestrel-valley.md" in {c["path"] for c in answer["citations"]}


@needs_unprivileged
def test_a_sources_folder_that_cant_be_listed_fails_the_refresh_and_keeps_the_index(
    library: Path,
) -> None:
    assert UNPRIVILEGED is not None
    sources = library / "sources"
    sources.chmod(0)
    try:
        done = policybot(library, "index", "--json", prefix=UNPRIVILEGED)
    finally:
        sources.chmod(0o755)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"policybot: can't list the sources folder {sources} (permission denied); "
        "the index is unchanged"
    ]
    answer = json.loads(policybot(library, "ask", "--json", Q_OLD).stdout)
    assert GONE in {c["path"] for c in answer["citations"]}


def test_a_missing_sources_folder_fails_the_refresh_and_keeps_the_index(
    library: Path, embed_model: MiniLMEmbedding
) -> None:
    """What the bot's /refresh and scheduled refresh call, on a machine whose sources
    folder is gone (an unmounted share)."""
    from index.errors import SourcesUnavailable

    missing = library / "unmounted"
    kb = KnowledgeBase(
        Settings(sources_dir=missing, data_dir=library / "data"), embed_model=embed_model
    )
    with pytest.raises(SourcesUnavailable, match="does not exist; the index is unchanged"):
        kb.refresh()
    with pytest.raises(SourcesUnavailable):
        kb.refresh(dry_run=True)
    assert len(kb.library().documents) == 6
    assert GONE in {c.path for c in kb.answer_sync(Q_OLD).citations}
