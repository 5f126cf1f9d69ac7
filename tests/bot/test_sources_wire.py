"""/source add and /source remove, the scheduled refresh, and a store outage, on the wire:
the real bot and the real knowledge base, pages fetched from a site on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import shutil

import pytest
from bot_harness import (
    ARTICLE_PATH,
    SEED_SOURCES,
    TIMEOUT,
    FlakyKB,
    Gate,
    GatedKB,
    Site,
    answer_in,
    answered_privately,
    autocomplete,
    choices_of,
    ephemeral_text,
    pings,
    public_report,
)

from bot.errors import UNAVAILABLE

pytestmark = pytest.mark.timeout(120)

ARTICLE = "councils-warn-the-social-care-cap-will-arrive-unfunded.md"
ARTICLE_TITLE = "Councils warn the social care cap will arrive unfunded"
CAP_Q = "What is the most anyone in England will pay towards personal care under the cap?"
FIRST = "unions-step-up-opposition-to-foundation-hospitals.md"
SECOND = "oxfordshire-labour-members-defeat-nhs-reforms.md"
HEALTH = "health-secretary-bids-to-give-power-to-nhs-staff.md"
HEALTH_TITLE = "Health Secretary bids to give power to NHS staff"
HEALTH_Q = "What does the Health Secretary want to give NHS staff?"


def fields_of(message) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0]["fields"]}


def files_in(folder) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


async def test_source_add_is_for_moderators_and_the_fetched_article_is_cited(
    standin, start_bot, make_kb, site
) -> None:
    kb = make_kb(seed=False)
    sources = kb.settings.sources_dir
    shutil.copy(SEED_SOURCES / FIRST, sources / FIRST)
    await kb.arefresh()
    url = site.url(ARTICLE_PATH)
    async with start_bot(kb=kb):
        refused = await standin.slash_command("source add", {"url": url}, user="alice")
        await ephemeral_text(standin, refused, lambda t: "Only moderators" in t)
        assert site.hits == [] and files_in(sources) == [FIRST]  # nothing fetched or saved

        rec = await standin.slash_command("source add", {"url": url}, user="moderator")
        report = await standin.wait_for_message(
            lambda m: m.interaction_id == rec.id and m.embeds, timeout=TIMEOUT
        )
        assert rec.response_type == 5  # deferred at once: fetching takes time
        assert site.hits == [ARTICLE_PATH]
        assert report.content.startswith(f"📥 Added **{ARTICLE_TITLE}** ({ARTICLE}")
        assert any("Refreshing the index" in h.get("content", "") for h in report.history)
        fields = fields_of(report)
        assert ARTICLE in fields["Added (1)"] and not pings(report)
        assert files_in(sources) == sorted([FIRST, ARTICLE])

        asked = await standin.user_message(CAP_Q, user="bob", mention_bot=True)
        answer = await answer_in(standin, asked.id)
        assert "72,000" in answer.content
        cited = [e for e in answer.embeds if ARTICLE_TITLE in e["title"]]
        assert cited and cited[0]["url"] == url  # linked to the page it came from


async def test_source_add_lists_the_questions_it_answered_to_the_moderator_only(
    standin, start_bot, make_kb, site
) -> None:
    """/source add runs the /refresh report: the channel sees how many open questions the
    new article answers, the moderator who added it (ephemerally) which."""
    kb = make_kb(seed=False)
    shutil.copy(SEED_SOURCES / FIRST, kb.settings.sources_dir / FIRST)
    await kb.arefresh()
    async with start_bot(kb=kb):
        asked = await standin.user_message(CAP_Q, user="bob", mention_bot=True)
        assert "72,000" not in (await answer_in(standin, asked.id)).content  # refused

        url = site.url(ARTICLE_PATH)
        rec = await standin.slash_command("source add", {"url": url}, user="moderator")
        listed = await answered_privately(standin, rec)
        report = public_report(standin, rec)
        assert "This refresh answered 1 of 1 open questions" in fields_of(report)
        assert CAP_Q not in report.text()
        assert listed.ephemeral and f"• {CAP_Q}" in listed.text()


async def test_source_add_that_fails_says_why_and_leaves_the_library_alone(
    standin, start_bot, make_kb, site
) -> None:
    kb = make_kb(seed=False)
    sources = kb.settings.sources_dir
    shutil.copy(SEED_SOURCES / FIRST, sources / FIRST)
    await kb.arefresh()
    refreshed_at = kb.library().refreshed_at
    cases = {
        "/no-such-article": "404",
        "/down": "try again later",
        "/politics": "doesn't look like an article",
        "ftp://127.0.0.1/file.html": "only http:// and https://",
    }
    async with start_bot(kb=kb):
        for where, why in cases.items():
            url = where if "://" in where else site.url(where)
            rec = await standin.slash_command("source add", {"url": url}, user="moderator")
            text = await ephemeral_text(standin, rec, lambda t: "Couldn't add" in t)
            assert text.startswith("❌ Couldn't add that page:") and why in text  # privately
    assert files_in(sources) == [FIRST]
    library = kb.library()
    assert [d.path for d in library.documents] == [FIRST]
    assert library.refreshed_at == refreshed_at  # no refresh ran


async def test_what_a_refusing_server_says_shows_literally(
    standin, start_bot, make_kb, site, monkeypatch
) -> None:
    """The reason names what the server sent (its content type, its status line): that
    text is the server's, and a masked link in it must not become a link to click."""
    kb = make_kb()
    kind = "text/[continue-to-verify](https://evil.example/login)"
    monkeypatch.setitem(Site.ROUTES, "/odd", (200, "listing.html", kind))
    async with start_bot(kb=kb):
        rec = await standin.slash_command("source add", {"url": site.url("/odd")}, user="admin")
        text = await ephemeral_text(standin, rec, lambda t: "Couldn't add" in t)
    assert "continue-to-verify" in text and "not a web page or a PDF" in text
    assert "\\[continue-to-verify\\](https://evil.example/login)" in text  # brackets escaped


async def test_source_remove_offers_the_library_and_drops_the_source_from_answers(
    standin, start_bot, make_kb
) -> None:
    kb = make_kb(seed=False)
    sources = kb.settings.sources_dir
    for i in range(30):
        (sources / f"note-{i:02}.md").write_text(
            f"---\ntitle: Rota note {i:02}\n---\n\n"
            f"Rota note number {i} says that shift changes need two weeks' notice.\n",
            encoding="utf-8",
        )
    shutil.copy(SEED_SOURCES / HEALTH, sources / HEALTH)
    await kb.arefresh()
    async with start_bot(kb=kb):
        everything = await choices_of(
            standin, await autocomplete(standin, "source remove", "source", "")
        )
        assert len(everything) == 25  # Discord's limit, of 31 sources
        assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in everything)
        typed = await choices_of(
            standin, await autocomplete(standin, "source remove", "source", "health sec")
        )
        assert typed == [{"name": HEALTH_TITLE, "value": HEALTH}]
        plain = await autocomplete(standin, "source remove", "source", "health", user="alice")
        assert await choices_of(standin, plain) == []  # only moderators are offered sources

        asked = await standin.user_message(HEALTH_Q, user="bob", mention_bot=True)
        before = await answer_in(standin, asked.id)
        assert HEALTH_TITLE in before.embeds[0]["title"]

        refused = await standin.slash_command("source remove", {"source": HEALTH}, user="bob")
        await ephemeral_text(standin, refused, lambda t: "Only moderators" in t)
        assert (sources / HEALTH).is_file()

        rec = await standin.slash_command("source remove", {"source": HEALTH}, user="admin")
        report = await standin.wait_for_message(
            lambda m: m.interaction_id == rec.id and m.embeds, timeout=TIMEOUT
        )
        assert report.content.startswith(f"🗑️ Removed **{HEALTH_TITLE}**")
        assert HEALTH in fields_of(report)["Removed (1)"]
        assert not (sources / HEALTH).exists()

        listing = await standin.slash_command("sources", user="alice")
        page = await standin.wait_for_message(
            lambda m: m.interaction_id == listing.id and m.embeds and not m.loading,
            timeout=TIMEOUT,
        )
        assert page.embeds[0]["title"].startswith("Sources: 30 documents")
        assert "Health" not in page.embeds[0]["description"]  # it would sort first

        asked = await standin.user_message(HEALTH_Q, user="bob", mention_bot=True)
        after = await answer_in(standin, asked.id)
        assert HEALTH_TITLE not in after.text()

        # a title typed in full works like the picked path; an unknown source is refused
        rec = await standin.slash_command("source remove", {"source": "rota NOTE 29"}, user="admin")
        report = await standin.wait_for_message(
            lambda m: m.interaction_id == rec.id and m.embeds, timeout=TIMEOUT
        )
        assert report.content.startswith("🗑️ Removed **Rota note 29** (note-29.md)")
        assert not (sources / "note-29.md").exists()
        rec = await standin.slash_command("source remove", {"source": HEALTH}, user="admin")
        text = await ephemeral_text(standin, rec, lambda t: "Couldn't remove" in t)
        assert text.startswith("❌ Couldn't remove that source:")  # privately
        assert "there is no source" in text


async def test_a_source_added_during_a_refresh_waits_for_the_next_and_the_schedule_skips(
    standin, start_bot, make_kb, site, caplog
) -> None:
    kb = make_kb(seed=False)
    sources = kb.settings.sources_dir
    shutil.copy(SEED_SOURCES / FIRST, sources / FIRST)
    await kb.arefresh()
    shutil.copy(SEED_SOURCES / SECOND, sources / SECOND)  # so that /refresh has work to do
    gate = Gate()
    mod_log = standin.world.channels["mod-log"]
    async with start_bot(kb=GatedKB(kb, refresh_gate=gate), moderator_channel_id=mod_log) as bot:
        running = await standin.slash_command("refresh", user="admin")
        await gate.until_entered()  # held mid-way, its files already read

        rec = await standin.slash_command(
            "source add", {"url": site.url(ARTICLE_PATH)}, user="moderator"
        )
        told = await standin.wait_for_message(
            lambda m: m.interaction_id == rec.id and "already running" in m.content,
            timeout=TIMEOUT,
        )
        assert told.content.startswith(f"📥 Added **{ARTICLE_TITLE}**")
        assert "next one" in told.content and (sources / ARTICLE).is_file()

        # a scheduled run now skips quietly: a log line, nothing in the moderators' channel
        assert await bot.get_cog("Refresh").scheduled_refresh() is None
        assert any("scheduled refresh skipped" in r.getMessage() for r in caplog.records)
        assert standin.channel_messages("mod-log") == []

        gate.release.set()
        first = await standin.wait_for_message(
            lambda m: m.interaction_id == running.id and m.embeds, timeout=TIMEOUT
        )
        assert SECOND in fields_of(first)["Added (1)"]  # the article came too late for it

        again = await standin.slash_command("refresh", user="admin")
        second = await standin.wait_for_message(
            lambda m: m.interaction_id == again.id and m.embeds, timeout=TIMEOUT
        )
        assert ARTICLE in fields_of(second)["Added (1)"]


async def test_the_scheduled_refresh_posts_changes_to_the_moderators_channel_only(
    standin, start_bot, make_kb, caplog
) -> None:
    kb = make_kb(seed=False)
    sources = kb.settings.sources_dir
    shutil.copy(SEED_SOURCES / FIRST, sources / FIRST)
    await kb.arefresh()
    mod_log = standin.world.channels["mod-log"]

    def scheduled_runs() -> int:
        return sum(r.getMessage().startswith("refresh by=schedule ") for r in caplog.records)

    async with start_bot(kb=kb, refresh_interval=1.0, moderator_channel_id=mod_log):
        await standin.wait_until(lambda: scheduled_runs() >= 1, timeout=TIMEOUT)
        assert standin.channel_messages("mod-log") == []  # nothing changed: nothing posted

        staged = sources / ".incoming"  # hidden: refreshes ignore it until it is renamed
        staged.mkdir()
        shutil.copy(SEED_SOURCES / SECOND, staged / SECOND)
        (staged / "minutes.xyz").write_text("not a format we read", encoding="utf-8")
        staged.rename(sources / "dropped")  # both files appear at once

        post = await standin.wait_for_message(
            lambda m: m.embeds, channel="mod-log", timeout=TIMEOUT
        )
        fields = fields_of(post)
        assert f"dropped/{SECOND}" in fields["Added (1)"]
        assert "dropped/minutes.xyz" in fields["Skipped (1)"]
        assert post.allowed_mentions.get("parse") == [] and not pings(post)
        assert standin.channel_messages("general") == []  # only the moderators hear of it

        # the same skipped file on later runs is not posted again
        seen = scheduled_runs()
        await standin.wait_until(lambda: scheduled_runs() >= seen + 2, timeout=TIMEOUT)
        assert len(standin.channel_messages("mod-log")) == 1

        asked = await standin.user_message(
            "Why did Oxfordshire Labour members defeat the NHS reforms?",
            user="bob",
            mention_bot=True,
        )
        answer = await answer_in(standin, asked.id)
        assert any("Oxfordshire" in e["title"] for e in answer.embeds)
    # closing the bot stops the schedule
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "scheduled-refresh"]


async def test_an_unavailable_store_gets_a_short_message_then_answers_resume(
    standin, start_bot, seed_kb, caplog
) -> None:
    kb = FlakyKB(seed_kb)
    async with start_bot(kb=kb) as bot:
        kb.down = True
        rec = await standin.slash_command("ask", {"question": HEALTH_Q}, user="alice")
        text = await ephemeral_text(standin, rec, lambda t: UNAVAILABLE in t)
        assert "chroma.internal" not in text
        asked = await standin.user_message(HEALTH_Q, user="bob", mention_bot=True)
        reply = await standin.wait_for_message(
            lambda m: (
                str((m.data.get("message_reference") or {}).get("message_id")) == str(asked.id)
            ),
            timeout=TIMEOUT,
        )
        assert reply.content == UNAVAILABLE
        listing = await standin.slash_command("sources", user="alice")
        await ephemeral_text(standin, listing, lambda t: UNAVAILABLE in t)
        assert kb.failures == 3

        kb.down = False  # the store is back
        rec = await standin.slash_command("ask", {"question": HEALTH_Q}, user="alice")
        header = await standin.wait_for_response(rec, timeout=TIMEOUT)
        answer = await answer_in(standin, header.id)
        assert HEALTH_TITLE in answer.embeds[0]["title"]
        asked = await standin.user_message(HEALTH_Q, user="bob", mention_bot=True)
        assert HEALTH_TITLE in (await answer_in(standin, asked.id)).embeds[0]["title"]
        # the failed questions gave their places back (or the bot would end up "busy")
        await standin.wait_until(lambda: bot.throttle.admitted == 0, timeout=TIMEOUT)
    outage = [r for r in caplog.records if "knowledge base is unavailable" in r.getMessage()]
    assert len(outage) == 3 and all(r.levelno == logging.WARNING for r in outage)
    assert all(kb.REASON in r.getMessage() and not r.exc_info for r in outage)
