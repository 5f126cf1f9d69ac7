"""Is a message in the bot's thread a question, or a remark ("thanks!", "ok", 👍)?

In an answer thread people also just talk: answering "thanks!" with "the sources don't
cover this" (and charging it to the asker's cooldown) is wrong. The rule is small and
readable rather than learned, so that a moderator can predict it:

A message is a **question** when, after mentions and emoji are removed, it
1. contains a question mark; or
2. starts (perhaps after "and", "but", "so", "also", "ok") with a question word (what,
   why, how, who, when, where, which, whose, whom) or an auxiliary verb that opens a
   yes/no question (is, are, do, does, did, can, could, should, would, will, has, have…);
   or
3. starts with a request: tell, explain, describe, list, summarise/summarize, compare,
   define, give me, show me, what about; or
4. is at least LONG_REMARK words long (a sentence that long in the bot's thread is nearly
   always asking for more, e.g. "I'd like to know the unions' view on the reforms").

Anything else is a remark. A remark that thanks or agrees (thanks, thx, ty, cheers, ok,
great, perfect, got it, or only emoji) gets a 👍 reaction; other remarks get nothing.
A message that mentions the bot is a question unless it is such an acknowledgement:
"@PolicyBot foundation hospitals" asks, "@PolicyBot thanks!" doesn't."""

from __future__ import annotations

import re

# Chosen by hand, not measured: thanks and reactions in threads run to a few words
# ("great, that's really helpful, thank you" is 6), while a request phrased as a statement
# rarely fits in fewer than 8 ("I'd like to know what the unions said").
LONG_REMARK = 8
ACK_REACTION = "👍"


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_QUESTION_WORDS = _set("what why how who whom whose when where which")
_AUXILIARIES = _set(
    """is are was were am do does did can could should would will shall may might must has
    have had isn't aren't wasn't weren't don't doesn't didn't can't couldn't shouldn't
    wouldn't won't hasn't haven't"""
)
_REQUESTS = _set("tell explain describe list summarise summarize compare define clarify elaborate")
_REQUEST_PAIRS = frozenset({("give", "me"), ("show", "me"), ("what", "about")})
_LEAD_INS = _set("and but so also ok okay then")
_ACKS = _set(
    """thanks thank thx ty cheers ta ok okay k great perfect nice cool brilliant awesome
    excellent got it understood makes sense helpful helps helped useful you very much so lol
    yes yep right fair enough good that's that is a lot many wonderful fantastic lovely
    noted"""
)
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>")
_ANY_MENTION = re.compile(rf"{_MENTION.pattern}|@(?:everyone|here)\b")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def strip_mentions(content: str) -> str:
    """The question in a message: every mention taken out — the bot's (or its managed
    role's), which addresses the question, and anyone else's (`@everyone`, a user, a role,
    a channel), which is not part of it either — with custom emoji. Left in, a mention's
    digits and an unknown name read as what the question is about, and the question is
    refused ("<@…> What did Hewitt say?")."""
    return " ".join(_ANY_MENTION.sub(" ", content).split())


def _words(text: str) -> list[str]:
    return _WORD.findall(_MENTION.sub(" ", text).lower().replace("’", "'"))


def is_question(text: str) -> bool:
    """Rules 1–4 above."""
    if "?" in text:
        return True
    words = _words(text)
    while words and words[0] in _LEAD_INS and len(words) > 1:
        words = words[1:]
    if not words:
        return False
    first = words[0]
    if first in _QUESTION_WORDS or first in _AUXILIARIES or first in _REQUESTS:
        return True
    if tuple(words[:2]) in _REQUEST_PAIRS:
        return True
    return len(words) >= LONG_REMARK


def is_acknowledgement(text: str) -> bool:
    """Thanks, agreement, or only emoji/punctuation: worth a 👍, never an answer."""
    if "?" in text or not _MENTION.sub(" ", text).strip():
        return False  # a bare mention is an empty question, and is told so
    words = _words(text)
    return all(w in _ACKS for w in words) and len(words) < LONG_REMARK
