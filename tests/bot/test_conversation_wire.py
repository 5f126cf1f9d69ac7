"""Answer threads are conversations: remarks aren't questions, and the bot's role is the bot."""

from __future__ import annotations

import pytest
from bot_harness import TIMEOUT, answer_in, custom_ids

from bot.conversation import is_acknowledgement, is_question

pytestmark = pytest.mark.timeout(120)

UNION_Q = "Which union is the biggest NHS union?"
FOLLOW_UPS = (
    "and what did Hewitt say back?",
    "Tell me what Dave Prentis said",
    "why do the unions oppose foundation hospitals",
)


def reactions_to(standin, message_id: int) -> list[str]:
    return [
        r.path
        for r in standin.requests
        if r.method == "PUT" and f"/messages/{message_id}/reactions/" in r.path
    ]


async def test_thanks_in_a_thread_gets_a_reaction_and_costs_no_question(standin, start_bot) -> None:
    # the defaults an operator gets: 3 questions per 30 s
    async with start_bot(cooldown_rate=3, cooldown_seconds=30.0):
        asked = await standin.user_message(UNION_Q, user="bob", mention_bot=True)
        first = await answer_in(standin, asked.id)
        thread = asked.id

        thanks = await standin.user_message("thanks!", user="alice", channel=thread)
        await standin.wait_until(lambda: reactions_to(standin, thanks.id), timeout=TIMEOUT)
        chat = await standin.user_message("I see, interesting", user="alice", channel=thread)

        last = first
        for question in FOLLOW_UPS:
            await standin.user_message(question, user="alice", channel=thread)
            last = await answer_in(standin, thread, after=last.id)
        said = [m for m in standin.channel_messages(thread) if m.author_id == standin.world.bot_id]
    # one answer per question, nothing for the remarks: no refusal, no "slow down"
    assert len([m for m in said if "pb:vote:up" in " ".join(custom_ids(m))]) == 4
    assert not [m for m in said if "Slow down" in m.content or "don't cover" in m.text()]
    assert reactions_to(standin, chat.id) == []  # a remark that isn't thanks: left alone


async def test_a_mention_of_the_bots_role_is_a_mention_of_the_bot(standin, start_bot) -> None:
    role = standin.world.bot_role_id()
    async with start_bot():
        asked = await standin.user_message(f"<@&{role}> {UNION_Q}", user="bob")
        answer = await answer_in(standin, asked.id)  # in a thread from the question
        assert "Unison, the biggest NHS union" in answer.content
        # the role's mention is not part of the question (the thread is named after it)
        assert standin.world.find_channel(asked.id)[1]["name"] == UNION_Q


@pytest.mark.parametrize(
    "text",
    [
        "and what did Hewitt say back?",
        "what about the BMA",
        "Is that still the policy",
        "doesn't that contradict the article",
        "ok so how many hospitals applied",
        "explain the two-tier argument",
        "give me the numbers",
        "I would like to know more about the private finance initiative deals",
    ],
)
def test_questions_follow_the_documented_rule(text: str) -> None:
    assert is_question(text) and not is_acknowledgement(text)


@pytest.mark.parametrize(
    ("text", "thanked"),
    [
        ("thanks!", True),
        ("Thank you so much", True),
        ("ok", True),
        ("👍", True),
        ("great, that helps", True),
        ("I see, interesting", False),
        ("lol", True),
        ("the article is from 2003", False),
    ],
)
def test_remarks_are_not_questions_and_only_thanks_get_a_reaction(text: str, thanked: bool) -> None:
    assert not is_question(text)
    assert is_acknowledgement(text) is thanked
