"""The answerer the settings ask for: the extractive one, or a generative one built around the
configured LLM (its prompts, its timeout, and a second opinion when LLM_VERIFY=model)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from index.answering.extractive import ExtractiveAnswerer
from index.answering.types import Answerer
from index.prompts import load_prompt
from index.settings import Settings


def answerer_for(
    settings: Settings, extractive: ExtractiveAnswerer, embed: Callable[[list[str]], Any]
) -> Answerer:
    """`embed`: unit vectors for texts, with which the generative answerer checks claims."""
    if settings.llm_provider == "none":
        return extractive
    from index.answering.generative import STREAM_BUDGET, GenerativeAnswerer, Prompts
    from index.answering.llm import make_llm, redact

    prompts = Prompts(
        **{n: load_prompt(settings, n) for n in ("system", "question", "condense")},
        refusal=extractive.refusal,
    )
    llm = make_llm(settings)
    second_opinion = None
    if settings.llm_verify == "model":
        from index.answering.second_opinion import ModelSecondOpinion

        second_opinion = ModelSecondOpinion(
            llm, load_prompt(settings, "verify"), STREAM_BUDGET * settings.llm_timeout
        )
    return GenerativeAnswerer(
        llm,
        prompts,
        extractive,
        settings.llm_timeout,
        embed=embed,
        redact=lambda text: redact(text, settings),
        second_opinion=second_opinion,
    )
