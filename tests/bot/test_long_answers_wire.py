"""A long answer on the wire: split into several messages within Discord's 2,000
characters, each citation marker staying with the sentence it belongs to."""

from __future__ import annotations

import dataclasses
import re

import pytest
from bot_harness import GatedKB, answer_in

pytestmark = pytest.mark.timeout(120)

QUESTION = "Why do unions oppose foundation hospitals?"


class LongAnswerKB(GatedKB):
    """The real answer and its citations, its text made long the way models write it:
    each sentence, then its marker after the full stop ("… two-tier service. [1]")."""

    async def answer_stream(self, question, history=(), executor=None):
        real = await self._kb.answer(question, history)
        n = [c.n for c in real.citations]
        text = " ".join(
            f"Point {k}: the unions fear a two-tier health service. [{n[k % len(n)]}]"
            for k in range(60)
        )
        yield dataclasses.replace(real, answer=text)


async def test_a_long_answer_is_split_with_each_marker_beside_its_sentence(
    standin, start_bot, seed_kb
) -> None:
    async with start_bot(kb=LongAnswerKB(seed_kb)):
        asked = await standin.user_message(QUESTION, user="bob", mention_bot=True)
        await answer_in(standin, asked.id)  # the last message, with the buttons
        texts = [m.content for m in standin.channel_messages(asked.id) if m.content]
        assert len(texts) >= 2 and all(len(t) <= 2000 for t in texts)
        assert [t for t in texts if re.match(r"\s*\[\d+\]", t)] == []
        assert len(re.findall(r"service\. \[\d+\]", " ".join(texts))) == 60
