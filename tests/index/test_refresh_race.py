"""Two machines, one library: two `policybot` installations with their own data folders
(so their own refresh locks), one sources folder and one `chroma run` server, refreshing at
the same moments while processes are killed at random (SIGKILL after a random delay, or at
a point of the refresh by its POLICYBOT_TEST_CRASH_AT hook).

After every round: the live generation is complete (every document of its catalog there,
with the catalog's chunk count), its version never went back (no stale publish over a
newer one), and a long-lived reader on each machine answers from it. At the end one clean
refresh makes the live index match the sources folder exactly."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index.ingest.loaders import candidate_files, doc_id_for, sha256_of
from index.settings import Settings
from index.store.catalog import Catalog
from index.store.chroma import ChromaStore
from index.store.crash_points import CRASH_POINTS
from tests.index.chroma_server import ChromaServer, running
from tests.index.test_refresh_faults import Reader

# 20 `policybot index` processes and two readers: 64 s on a quiet 2-core machine, 1.5-3 min
# on a shared one (about 100 s of CPU). In the default suite: it is issue 11's floor.
pytestmark = [pytest.mark.chroma_server, pytest.mark.timeout(600)]
ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 10  # two refreshes each: 20 racing refreshes
SEED = int(os.environ.get("POLICYBOT_RACE_SEED", "11"))
TOWNS = ("Ashby", "Brent", "Crewe", "Dover", "Epsom", "Frome", "Goole", "Hythe", "Ilkley",
         "Jarrow", "Kendal")  # fmt: skip
NOTE = "# {town} depot\n\nThe {town} bus depot will close in {year}, the council said.\n"


def question(note: str) -> str:
    """The question that note-NN.md answers."""
    return f"When will the {TOWNS[int(note[5:7])]} bus depot close?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with running(tmp_path_factory.mktemp("race-server")) as s:
        yield s


class Machine:
    """One installation: its own data folder, the shared sources folder and server."""

    def __init__(self, name: str, root: Path, server: ChromaServer, prefix: str, **env: str):
        self.name = name
        self.data = root / f"data-{name}"
        self.sources = root / "sources"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("POLICYBOT_TEST")},
            "CHROMA_HOST": server.host,
            "CHROMA_PORT": str(server.port),
            "CHROMA_COLLECTION_PREFIX": prefix,
            **env,
        }

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "policybot", "--sources", str(self.sources),
                "--data", str(self.data), *args]  # fmt: skip

    def refresh(self, crash_at: str | None = None) -> subprocess.Popen[str]:
        env = {**self.env, **({"POLICYBOT_TEST_CRASH_AT": crash_at} if crash_at else {})}
        return subprocess.Popen(
            self.command("index", "--json"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd=ROOT, env=env,
        )  # fmt: skip

    def reader(self) -> Reader:
        """`policybot ask --json -` on this machine, kept running."""
        return Reader(self.data, command=self.command("ask", "--json", "-"), env=self.env)


def check_complete(store: ChromaStore) -> Catalog:
    """The live generation holds every document of its catalog with its chunk count, in
    the collection its catalog says (its own, or that of the generation that embedded it);
    its own collection holds nothing else."""
    catalog = store.read_catalog()
    counts: Counter[str] = Counter()
    for name, paths in catalog.by_collection().items():
        for got in store.read("check", store.collection(name), ["metadatas"], paths):
            counts.update(str(m["path"]) for m in got["metadatas"])
    assert counts == {path: d.chunks for path, d in catalog.documents.items() if d.chunks}
    own = [p for p in catalog.documents if catalog.collection_of(p) == catalog.collection]
    own_chunks = sum(catalog.documents[p].chunks for p in own)
    assert store.collection(str(catalog.collection)).count() == own_chunks
    return catalog


def change_sources(sources: Path, rnd: random.Random, n: int) -> None:
    """A new note every round; sometimes an edit of an earlier one, sometimes a removal."""
    (sources / f"note-{n:02}.md").write_text(NOTE.format(town=TOWNS[n], year=2030 + n))
    earlier = sorted(sources.glob("note-*.md"))[:-1]
    if earlier and rnd.random() < 0.5:
        edited = rnd.choice(earlier)
        edited.write_text(edited.read_text() + f"\nAmended in round {n}.\n")
    if len(earlier) > 2 and rnd.random() < 0.3:
        rnd.choice(earlier).unlink()


def test_two_machines_racing_refreshes_with_kills_never_lose_or_break_the_library(
    server: ChromaServer, tmp_path: Path
) -> None:
    started = time.monotonic()
    rnd = random.Random(SEED)  # noqa: S311 (a reproducible test schedule, not a secret)
    prefix = f"race{SEED}"
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "note-00.md").write_text(NOTE.format(town=TOWNS[0], year=2030))
    # Machine b drops replaced generations at once: a slower refresh on machine a may then
    # lose the generation it copies from, which must fail it cleanly, never corrupt.
    a = Machine("a", tmp_path, server, prefix)
    b = Machine("b", tmp_path, server, prefix, GENERATION_GRACE_SECONDS="0")
    store = ChromaStore(
        Settings(sources_dir=sources, data_dir=tmp_path / "observer", chroma_host=server.host,
                 chroma_port=server.port, collection_prefix=prefix)
    )  # fmt: skip
    first = a.refresh()
    assert first.wait(timeout=300) == 0, first.communicate()
    one_refresh = time.monotonic() - started
    readers = {m.name: m.reader() for m in (a, b)}
    outcomes: Counter[str] = Counter()
    last_version = check_complete(store).version
    try:
        for n in range(1, ROUNDS + 1):
            change_sources(sources, rnd, n)
            snapshot = {doc_id_for(p, sources): sha256_of(p) for p in candidate_files(sources)}
            procs, kill_at = [], {}
            for machine in (a, b):
                fate = rnd.random()
                crash = rnd.choice(CRASH_POINTS) if fate < 0.3 else None
                procs.append((machine, machine.refresh(crash_at=crash)))
                if 0.3 <= fate < 0.6:  # SIGKILL at a random moment of its run
                    kill_at[machine.name] = time.monotonic() + rnd.uniform(0.2, one_refresh)
            while any(p.poll() is None for _, p in procs):
                for machine, p in procs:
                    if p.poll() is None and time.monotonic() > kill_at.get(machine.name, 1e18):
                        p.send_signal(signal.SIGKILL)
                time.sleep(0.05)
            this_round = Counter()
            for _machine, p in procs:
                out, err = p.communicate()
                this_round[_outcome(p.returncode, out, err)] += 1
            outcomes.update(this_round)
            if this_round["published"]:
                # What a refresh published this round is what the library holds now (once
                # the pointer is at the newest version, as the next refresh makes sure).
                newest_catalog = store.point_to_latest()
                assert {k: d.sha256 for k, d in newest_catalog.documents.items()} == snapshot
            catalog = check_complete(store)
            assert catalog.version >= last_version, "a stale publish went over a newer one"
            last_version = catalog.version
            newest = store.tickets()[-1][0] if store.tickets() else 0
            assert newest >= catalog.version
            for name, reader in readers.items():
                note = max(d for d in catalog.documents if d.startswith("note-"))
                cited = reader.cites(question(note))
                assert note in cited, (name, note, cited)
        final = b.refresh()
        out, err = final.communicate(timeout=300)
        assert final.returncode == 0, err
        catalog = check_complete(store)
        on_disk = {doc_id_for(p, sources): sha256_of(p) for p in candidate_files(sources)}
        assert {k: d.sha256 for k, d in catalog.documents.items()} == on_disk == snapshot
        assert catalog.version == store.tickets()[-1][0] >= last_version
        newest = max(on_disk)
        for reader in readers.values():
            assert newest in reader.cites(question(newest))
    finally:
        for reader in readers.values():
            if reader.proc.poll() is None:
                reader.close()
    seconds = time.monotonic() - started
    print(
        f"\n{2 * ROUNDS} racing refreshes in {ROUNDS} rounds (seed {SEED}): {dict(outcomes)}; "
        f"final version {catalog.version}, {len(catalog.documents)} documents; {seconds:.0f} s"
    )
    assert outcomes["killed"] >= 3  # the kills did happen (seed 11: several)


def _outcome(status: int, out: str, err: str) -> str:
    if status == -signal.SIGKILL:
        return "killed"
    if status == 0:
        report: dict[str, Any] = json.loads(out)
        changed = report["added"] or report["updated"] or report["removed"]
        return "published" if changed else "nothing to do"
    assert status == 1, err
    line = err.strip()
    assert "\n" not in line and "Traceback" not in line, err
    if "another refresh published a new index" in line or "replaced and dropped" in line:
        return "lost the race"
    raise AssertionError(f"unexpected failure: {line}")
