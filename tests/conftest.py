"""Shared fixtures: the real embedding model and real knowledge bases over the seed articles."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from index.ingest.llama_embedding import MiniLMEmbedding
from index.service import KnowledgeBase
from index.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED_SOURCES = ROOT / "sources"
SHARED = ROOT.parent / "shared"
DEV_QA = SHARED / "dev_qa.jsonl"
HOLDOUT_QA = ROOT / "tests" / "data" / "holdout_qa.jsonl"


# Settings a developer's environment may hold that would send a test elsewhere.
OUTSIDE_CONFIG = (
    "CHROMA_HOST",
    "CHROMA_PORT",
    "LLM_PROVIDER",
    "DISCORD_TOKEN",
    "POLICYBOT_SOURCES",
    "POLICYBOT_DATA",
)


@pytest.fixture(autouse=True)
def _no_outside_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's .env or a Chroma server by accident."""
    for name in OUTSIDE_CONFIG:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def embed_model() -> MiniLMEmbedding:
    """The real all-MiniLM-L6-v2 model, loaded once per test session."""
    return MiniLMEmbedding()


@pytest.fixture(scope="session")
def seed_kb(
    tmp_path_factory: pytest.TempPathFactory, embed_model: MiniLMEmbedding
) -> KnowledgeBase:
    """A knowledge base over a copy of the seed articles, built once. Don't modify it."""
    root = tmp_path_factory.mktemp("seed-kb")
    shutil.copytree(SEED_SOURCES, root / "sources")
    kb = KnowledgeBase(
        Settings(sources_dir=root / "sources", data_dir=root / "data"), embed_model=embed_model
    )
    kb.refresh()
    return kb


@pytest.fixture
def make_kb(tmp_path: Path, embed_model: MiniLMEmbedding) -> Callable[..., KnowledgeBase]:
    """Factory for a private knowledge base whose sources folder a test may change.

    `make_kb()` copies the seed articles; `make_kb(seed=False)` starts empty. The index is
    not built: call `kb.refresh()`. Tests serve pages on 127.0.0.1, so fetching from private
    addresses is allowed unless overridden (tests/index/test_intake.py tests the default)."""

    def make(seed: bool = True, **overrides: object) -> KnowledgeBase:
        sources = tmp_path / "sources"
        if seed and not sources.exists():
            shutil.copytree(SEED_SOURCES, sources)
        sources.mkdir(exist_ok=True)
        overrides = {"source_fetch_allow_private": True, **overrides}
        settings = Settings(sources_dir=sources, data_dir=tmp_path / "data", **overrides)
        return KnowledgeBase(settings, embed_model=embed_model)

    return make
