"""/refresh and /sources on the wire: permissions, progress, the diff, and pagination."""

from __future__ import annotations

import re
import shutil

import pytest
from bot_harness import SEED_SOURCES, TIMEOUT, Gate, GatedKB, answer_in, ephemeral_text

pytestmark = pytest.mark.timeout(120)

QUESTION = "What did the unions fear about foundation hospitals?"
FIRST = "unions-step-up-opposition-to-foundation-hospitals.md"
SECOND = "oxfordshire-labour-members-defeat-nhs-reforms.md"
THIRD = "health-secretary-bids-to-give-power-to-nhs-staff.md"


async def sources_page(standin, user: str):
    """The first page of /sources as `user` sees it."""
    rec = await standin.slash_command("sources", user=user)
    return await standin.wait_for_message(
        lambda m: m.interaction_id == rec.id and m.embeds and not m.loading, timeout=TIMEOUT
    )


async def test_refresh_is_for_moderators_shows_progress_and_the_diff_while_questions_go_on(
    standin, start_bot, make_kb
) -> None:
    kb = make_kb(seed=False)
    sources = kb.settings.sources_dir
    for name in (FIRST, SECOND):
        shutil.copy(SEED_SOURCES / name, sources / name)
    await kb.arefresh()
    (sources / SECOND).unlink()
    shutil.copy(SEED_SOURCES / THIRD, sources / THIRD)
    (sources / "minutes.xyz").write_text("not a format we read", encoding="utf-8")
    gate = Gate()
    async with start_bot(kb=GatedKB(kb, refresh_gate=gate)):
        refused = await standin.slash_command("refresh", user="alice")
        await ephemeral_text(standin, refused, lambda t: "Only moderators" in t)
        assert refused.response_type == 4

        run = await standin.slash_command("refresh", user="moderator")  # by role id
        progress = await standin.wait_for_message(
            lambda m: m.interaction_id == run.id and "Refreshing the index" in m.content,
            timeout=TIMEOUT,
        )
        assert run.response_type == 5
        await gate.until_entered()  # the refresh is now held mid-way, in its worker thread

        # questions are still answered meanwhile (from the previous index)
        asked = await standin.user_message(QUESTION, user="bob", mention_bot=True)
        answer = await answer_in(standin, asked.id)
        assert "two-tier" in answer.content
        second = await standin.slash_command("refresh", user="admin")  # Manage Server
        await ephemeral_text(standin, second, lambda t: "already running" in t)

        # the progress shows the stage the refresh is held at, with a bar and a count (edits
        # are at most every 1.5 s, so the later stages of a quick refresh may never show)
        await standin.wait_for_message(
            lambda m: m.id == progress.id and re.search(r"`[█░]{10}` \d+/\d+", m.content),
            timeout=TIMEOUT,
        )
        gate.release.set()
        report = await standin.wait_for_message(
            lambda m: m.id == progress.id and m.embeds, timeout=TIMEOUT
        )
        fields = {f["name"]: f["value"] for f in report.embeds[0]["fields"]}
        assert "health" in fields["Added (1)"]
        assert "oxfordshire" in fields["Removed (1)"]
        assert "minutes.xyz" in fields["Skipped (1)"] and "unsupported" in fields["Skipped (1)"]
        assert fields["Updated (0)"] == "—"
        # the next answer comes from the new index
        asked = await standin.user_message(
            "What does the Health Secretary want to give NHS staff?", user="bob", mention_bot=True
        )
        answer = await answer_in(standin, asked.id)
        assert "Health Secretary bids to give power to NHS staff" in answer.embeds[0]["title"]


async def test_sources_lists_the_index_page_by_page(standin, start_bot, make_kb) -> None:
    kb = make_kb(seed=False)
    for i in range(12):
        (kb.settings.sources_dir / f"note-{i:02}.md").write_text(
            f"---\ntitle: Note {i:02}\nurl: https://example.org/note/{i}\n---\n\n"
            f"Policy note number {i} says that rota changes need two weeks' notice.\n",
            encoding="utf-8",
        )
    await kb.arefresh()
    async with start_bot(kb=kb):
        page = await sources_page(standin, "alice")
        assert page.ephemeral
        embed = page.embeds[0]
        assert embed["title"] == "Sources: 12 documents, 12 chunks"
        assert "Last refreshed <t:" in embed["description"]
        assert "[Note 00](https://example.org/note/0)" in embed["description"]
        assert "Note 10" not in embed["description"]
        assert embed["footer"]["text"] == "Page 1 of 2"
        click = await standin.click_button(page, "pb:sources:next:1", user="alice")
        await standin.wait_for_response(click, timeout=TIMEOUT)
        await standin.wait_until(lambda: page.embeds[0]["footer"]["text"] == "Page 2 of 2")
        assert "Note 10" in page.embeds[0]["description"]
        assert "Note 00" not in page.embeds[0]["description"]


async def test_a_sources_url_cannot_smuggle_a_link_into_the_listing(
    standin, start_bot, make_kb
) -> None:
    """A source's url is the file's (or its page's) own text: one with ")[…](…" in it must
    stay one link to one address, not end early and add a masked link of its own."""
    kb = make_kb(seed=False)
    evil = "https://example.org/a)[Official-NHS-guidance](https://evil.example/login"
    (kb.settings.sources_dir / "rota.md").write_text(
        f"---\ntitle: Rota policy\nurl: {evil}\n---\n\nThe rota policy says changes need "
        "two weeks' notice.\n",
        encoding="utf-8",
    )
    await kb.arefresh()
    async with start_bot(kb=kb):
        page = await sources_page(standin, "alice")
    (line,) = [x for x in page.embeds[0]["description"].split("\n") if "Rota policy" in x]
    assert line.count("](") == 1 and "](https://evil.example" not in line
    assert "[Rota policy](https://example.org/a%29%5BOfficial-NHS-guidance%5D%28" in line
