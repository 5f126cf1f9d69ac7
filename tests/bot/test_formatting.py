"""Formatting within Discord's limits, with long and hostile texts (no network)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from bot_harness import discord_errors

from bot import text as T
from bot.render import render_answer, render_passages
from bot.render_admin import feedback_parts, library_page, refresh_report
from bot.store import DownvotedAnswer
from index.answering.types import Answer, Citation

HOSTILE = (
    "@everyone @here <@&123456789012345678> <@42> **bold** __under__ ~~strike~~ ||spoiler|| "
    "`code` ```block``` [click](https://evil.example) <t:0:R> <#1> \\ trailing\\"
)
LINE_MARKUP = "# heading\n> quote\n- item\n1. first\n-# subtext"


def citation(
    n: int, quote: str, *, title: str = "Title", source: str = "a.md", passage: str = ""
) -> Citation:
    return Citation(
        n=n, title=title, source=source, path=source, quote=quote, score=0.5,
        start=0, end=len(quote), passage=passage or f"Before. {quote} After.",
    )  # fmt: skip


def unescaped(text: str, token: str) -> bool:
    """Whether `token` occurs in `text` without a backslash before its first character."""
    return any(
        (len(text[: m.start()]) - len(text[: m.start()].rstrip("\\"))) % 2 == 0
        for m in re.finditer(re.escape(token), text)
    )


@pytest.mark.parametrize(
    "token", ["**", "__", "~~", "||", "`", "[click]", "<@&", "<@4", "<t:", "<#"]
)
def test_escaped_markdown_leaves_no_live_markup(token: str) -> None:
    assert not unescaped(T.escape(HOSTILE), token)


def test_escaping_neutralises_mass_mentions_and_block_markup() -> None:
    out = T.escape(HOSTILE + "\n" + LINE_MARKUP)
    assert "@everyone" not in out and "@here" not in out
    lines = out.split("\n")[1:]
    assert lines == ["\\# heading", "\\> quote", "\\- item", "1\\. first", "\\-# subtext"]


def test_trim_cuts_at_a_word_never_inside_an_escape() -> None:
    s = T.escape("a*b " * 300)
    for limit in range(5, 60):
        out = T.trim(s, limit)
        assert len(out) <= limit and out.endswith("…")
        body = out[:-1]
        assert (len(body) - len(body.rstrip("\\"))) % 2 == 0  # no dangling backslash
    assert T.trim("short", 10) == "short"


def test_split_respects_the_limit_and_keeps_all_the_text() -> None:
    text = T.escape(("A sentence with *stars* and words. " * 40 + "\n\n") * 5 + "x" * 4500)
    pieces = T.split(text, T.CONTENT)
    assert all(0 < len(p) <= T.CONTENT for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )
    for p in pieces:
        assert (len(p) - len(p.rstrip("\\"))) % 2 == 0


def test_a_long_hostile_answer_with_many_sources_fits_discord_in_order() -> None:
    quotes = [f"Quote {n}: {HOSTILE} " + "word " * 400 for n in range(1, 15)]
    cits = [
        citation(n, q, title=("T" * 400) + HOSTILE, source=f"https://example.org/{n}")
        for n, q in enumerate(quotes, start=1)
    ]
    text = " ".join(f"{HOSTILE} claim {n} [{n}]" for n in range(1, 15)) * 8 + " fake [99]"
    parts = render_answer(Answer("q", text, False, cits, note="LLM failed: **x**"))
    for part in parts:
        assert discord_errors(part) is None, discord_errors(part)
    contents = "".join(p.content or "" for p in parts)
    assert "[3]" in contents and "[99]" not in contents and "\\[99\\]" in contents
    embeds = [e for p in parts for e in p.embeds]
    assert [e.title.split("]")[0] for e in embeds] == [f"[{n}" for n in range(1, 15)]
    assert all(e.url == f"https://example.org/{n}" for n, e in enumerate(embeds, start=1))
    assert len(parts) >= 3  # the text was split, and the sources spilled over
    assert not any(unescaped(e.description or "", "**") for e in embeds)


def test_paths_are_not_links_and_passages_fit_too() -> None:
    c = citation(1, "The quote.", source="notes/x.md", passage=("long passage " * 800) + HOSTILE)
    (part,) = render_answer(Answer("q", "The quote. [1]", False, [c]))
    assert part.embeds[0].url is None and part.embeds[0].footer.text == "notes/x.md"
    for part in render_passages([c] * 12):
        assert discord_errors(part) is None
    (short,) = render_passages([citation(1, "Q *x*.", passage="Before. Q *x*. After.")])
    assert short.embeds[0].description == "Before. **Q \\*x\\*.** After."


def test_a_quote_the_answer_already_shows_is_not_repeated_in_its_source() -> None:
    quoted = citation(1, "Unison wants a  review.")
    other = citation(2, "Hewitt said the NHS always used the private sector.")
    (part,) = render_answer(Answer("q", "“Unison wants a review.” [1] She disagreed [2].", False,
                                   [quoted, other]))  # fmt: skip
    assert part.embeds[0].description is None and part.embeds[0].footer.text == "a.md"
    assert part.embeds[1].description == "> " + other.quote


def test_quotes_the_answer_shows_from_one_source_share_its_embed() -> None:
    one, two, three = (citation(n, f"Quote {n}.", source=src)
                       for n, src in ((1, "a.md"), (2, "b.md"), (3, "a.md")))  # fmt: skip
    text = "“Quote 1.” [1] “Quote 2.” [2] “Quote 3.” [3]"
    (part,) = render_answer(Answer("q", text, False, [one, two, three]))
    assert [e.title for e in part.embeds] == ["[1] [3] Title", "[2] Title"]
    assert [e.footer.text for e in part.embeds] == ["a.md", "b.md"]


def test_admin_messages_fit_with_huge_inputs() -> None:
    long = "x/" * 300 + HOSTILE
    report = SimpleNamespace(
        added=[long] * 400, updated=[long] * 400, removed=[long] * 400, unchanged=["u"] * 9,
        skipped=[SimpleNamespace(path=long, reason=HOSTILE * 3)] * 400,
        documents=1200, chunks=99999, seconds=12.5,
    )  # fmt: skip
    embed = refresh_report(report)
    assert discord_errors(render_part(embed)) is None
    assert "… and" in embed.fields[0].value
    docs = [
        SimpleNamespace(title=long, source="https://e.org/" + "a" * 3000, path=long, chunks=3,
                        indexed_at="2024-01-01T00:00:00+00:00", metadata={})
        for _ in range(25)
    ]  # fmt: skip
    library = SimpleNamespace(documents=docs, refreshed_at="2024-01-02T03:04:05+00:00", chunks=75)
    page = library_page(library, 2)
    assert discord_errors(render_part(page)) is None and page.footer.text == "Page 3 of 3"
    items = [
        DownvotedAnswer("a" * 32, HOSTILE * 20, HOSTILE * 40, False, [long] * 9, 3, 1,
                        "2024-01-01T00:00:00+00:00", None)
        for _ in range(25)
    ]  # fmt: skip
    for part in feedback_parts(items):
        assert discord_errors(part) is None


def render_part(embed):
    from bot.render import Part

    return Part(embeds=[embed])


def test_a_citation_marker_stays_with_its_sentence_when_the_text_is_split() -> None:
    """Models often write "sentence. [3]": the marker belongs to the sentence before it."""
    markers = ["[1]", "[2][3]", "[4] [5]", "[12]"]
    text = " ".join(
        f"Claim {k} is made here by someone. {markers[k % len(markers)]}" for k in range(300)
    )
    for limit in range(120, 2001, 37):
        pieces = T.split(text, limit)
        assert all(len(p) <= limit for p in pieces)
        assert not [p for p in pieces if re.match(r"\[\d+\]", p)], limit
        assert " ".join(pieces) == text
