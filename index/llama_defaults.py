"""llama-index's process-wide defaults, pinned by the programs that run policybot.

Left alone, `Settings.llm` and `Settings.embed_model` resolve to OpenAI on first use, which
fails offline and would send text out when a key happens to be set. policybot passes its
models explicitly everywhere, so nothing should read these; the entry points (the command
line, the bot) still pin them once, so that anything that does gets our model and a mock
LLM. Constructing a KnowledgeBase changes no global state: a program embedding policybot
keeps its own llama-index settings."""

from __future__ import annotations

from typing import Any


def pin(embed_model: Any) -> None:
    from llama_index.core import Settings
    from llama_index.core.llms import MockLLM

    Settings.embed_model = embed_model
    # Not `None`: that prints a notice on stdout. Generative answerers bring their own LLM.
    Settings.llm = MockLLM()
