"""A second opinion on claims the checker couldn't decide (LLM_VERIFY=model, off by default).

The claim checker (index/checking/claims.py) decides most claims on what the texts state: a
number, a name, a speaker, a negation, a hedge. Some it decides only on how much of the
claim's wording or meaning the source shares (`Judgement.sure` is False): those pairs go to
the language model once more, all in one call, with prompts/verify.md. Only a clear
"SUPPORTED" or "NOT SUPPORTED" for a pair's number replaces the checker's verdict; an
unclear, missing, repeated or contradictory line, or a failed call, leaves it."""

from __future__ import annotations

import logging
import re
from typing import Any

from index.answering.deadline import call_within
from index.answering.generative import defuse, fill
from index.answering.model_text import strip_thinking

log = logging.getLogger(__name__)

_VERDICT = re.compile(r"^\W*(\d{1,3})\W+(not supported|supported|unclear)\W*$", re.I | re.M)


class ModelSecondOpinion:
    """Asks the language model about (claim, source sentences) pairs, once for all."""

    def __init__(self, llm: Any, prompt: str, budget: float) -> None:
        self.llm = llm
        self.prompt = prompt
        self.budget = budget  # seconds for the whole reply (index.answering.deadline)

    def __call__(self, pairs: list[tuple[str, str]]) -> list[bool | None]:
        from llama_index.core.llms import ChatMessage

        blocks = "\n\n".join(
            f'<pair n="{n}">\n<claim>{defuse(claim)}</claim>\n<source>{defuse(source)}</source>'
            "\n</pair>"
            for n, (claim, source) in enumerate(pairs, start=1)
        )
        message = ChatMessage(role="user", content=fill(self.prompt, {"pairs": blocks}))
        try:
            reply = call_within(self.budget, lambda: self.llm.chat([message])).message.content or ""
        except Exception as e:  # any failure of the model: the checker's verdicts stand
            log.warning("asking the language model about claims failed: %s", type(e).__name__)
            return [None] * len(pairs)
        # a reasoning model's drafts (<think>…</think>, or a block cut off) are no verdicts
        return parse_verdicts(strip_thinking(reply), len(pairs))


def parse_verdicts(reply: str, count: int) -> list[bool | None]:
    """One verdict per pair from lines like "2: NOT SUPPORTED"; None where the reply has no
    clear one (unclear, missing, or given twice differently)."""
    said: dict[int, set[str]] = {}
    for m in _VERDICT.finditer(reply):
        said.setdefault(int(m.group(1)), set()).add(m.group(2).lower())
    out: list[bool | None] = []
    for n in range(1, count + 1):
        verdicts = said.get(n, set())
        out.append(
            True if verdicts == {"supported"} else False if verdicts == {"not supported"} else None
        )
    return out
