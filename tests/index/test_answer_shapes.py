"""The shape of an answer follows the question's, on the real seed index: one fact, one
quote; a broad question, several voices, each introduced by who says it; and every word is
either the sources' own or a fixed frame."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from index.answering import extractive, framing, types
from index.documents import Hit
from index.ingest.attribution import analyse
from index.ingest.loaders import load_document
from index.search import evidence
from index.search.question import Question, Shape, group_asked_about, shape_of, speaker_asked_about
from index.service import KnowledgeBase
from index.store.sentences import SentenceTable, decode, encode
from index.text import terms


@pytest.mark.parametrize(
    ("question", "shape"),
    [
        ("Which union is the biggest NHS union?", Shape.FACT),
        ("How many junior doctor posts are unlikely to be filled?", Shape.FACT),
        ("Who made the case for co-operatives and mutuals?", Shape.FACT),
        ("Summarise the arguments for and against private providers in the NHS", Shape.BROAD),
        ("Why do unions oppose foundation hospitals?", Shape.BROAD),
        ("How did the health secretary respond to her critics?", Shape.BROAD),
        ("What were the different positions on foundation hospitals?", Shape.BROAD),
        ("What did Paul Flather say about the pace of NHS reform?", Shape.BROAD),
        # "how" and a word of degree asks for one figure or description, whatever the word
        ("How quickly can a patient who pays get an MRI scan?", Shape.FACT),
        ("How serious were the trusts' deficits?", Shape.FACT),
        ("How many constituency Labour parties are there in Lewisham?", Shape.FACT),
        # "how" and a verb, an article or a name asks for a manner or a process
        ("How did Lansley justify the Right to Provide?", Shape.BROAD),
        ("How the unions defeated the government's plans", Shape.BROAD),
    ],
)
def test_the_shape_of_a_question(question: str, shape: Shape) -> None:
    assert shape_of(question) is shape


@pytest.mark.parametrize(
    ("question", "who"),
    [
        ("What did Élodie Bérard say about the maternity unit?", "Élodie Bérard"),
        ("How did Łukasz Nowak respond to the plan?", "Łukasz Nowak"),
        ("What did Dave Prentis argue?", "Dave Prentis"),
    ],
)
def test_the_person_asked_about_is_read_whole_whatever_their_first_letter(
    question: str, who: str
) -> None:
    assert speaker_asked_about(question) == who


def test_sentence_vectors_survive_their_int8_storage() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    q8, scales = decode(encode(vectors))
    back = q8.astype(np.float32) * scales[:, None]
    cosines = np.sum(back * vectors, axis=1) / np.linalg.norm(back, axis=1)
    assert cosines.min() > 0.999


def test_speakers_are_the_texts_own_words_and_pronouns_find_their_person() -> None:
    sentences = [
        "An impassioned debate saw Dave Prentis, general secretary of Unison, pitted "
        "against Ms Hewitt.",
        "He argued that ministers have persistently failed to consult patients.",
        "But she promised to consult more.",
        "The weather was mild.",
        "Ms Hewitt was backed by delegates who argued that the contracts were signalled.",
    ]
    found = [who for who, _ in analyse(sentences)]
    assert found[1] == ("Dave Prentis, general secretary of Unison", "argued")
    assert found[2] == ("Ms Hewitt", "promised")  # "she": the person titled Ms, not Prentis
    assert found[3] is None
    assert found[4] == ("delegates", "argued")  # "who argued": the noun "who" stands for


def test_he_says_after_a_person_described_not_named_is_theirs() -> None:
    """ "… and the activist was critical … / “…,” he says": the activist's words; a thing
    ("the party machine") is nobody "he" stands for."""
    sentences = [
        "What the branch also wants is a radical rethink, and the activist was critical of "
        "the councillors.",
        "“Lewisham CLPs never really campaign on anything,” he says.",
        "The response from a long-term Labour member, who wants to remain anonymous, was "
        "unsurprising.",
        "“It is utterly absurd to suggest that councillors want to cut services,” he says.",
        "This was echoed by the Momentum activist, who wants to reshape the party machine.",
        "“We went from getting people to vote Corbyn to getting them on the doorstep,” he says.",
    ]
    found = [who and who[0] for who, _ in analyse(sentences)]
    assert found[1] == "the activist"
    assert found[3] == "a long-term Labour member"
    assert found[5] == "the Momentum activist"
    things = ["The letter reached the party machine.", "“It will not be ignored,” he says."]
    assert [who for who, _ in analyse(things)] == [None, None]


def test_a_text_read_out_is_its_words_and_a_hyphen_does_not_cut_its_name() -> None:
    sentences = [
        'The motion, co-authored by public service union Unison, read: "Immense damage is '
        "being done to some local services.",
        '"Across the country, patients are facing cuts."',
        "The committee read the report.",
    ]
    found = [who and who[0] for who, _ in analyse(sentences, [True, True, True])]
    assert found == ["The motion", "The motion", None]


def test_a_described_holder_is_one_only_within_its_article() -> None:
    from index.answering.types import Citation

    def quote(n: int, path: str, speaker: str | None, text: str = "It said so.") -> Citation:
        return Citation(n, "t", path, path, text, 1.0, 0, 1, speaker=speaker)

    keys = framing.holders(
        [
            quote(1, "oxford.md", "The motion"),
            quote(2, "brighton.md", "a Unison-inspired composite motion"),
            quote(3, "oxford.md", "Ministers"),
            quote(4, "brighton.md", "Ministers"),
            quote(5, "oxford.md", "Mr Prentis"),
            quote(6, "brighton.md", "Dave Prentis, general secretary of Unison"),
            quote(7, "oxford.md", None, "The motion also criticised the extension."),
            quote(8, "brighton.md", None, "The motion was lost."),
        ]
    )
    assert keys[0] != keys[1] and keys[2] != keys[3]  # one word, two things
    assert keys[4] == keys[5]  # one person by name, whichever article
    assert keys[6] == keys[0] and keys[7] == keys[1]  # opening by its holder's word there
    # a description's noun is its holder, not a name it is qualified by
    keys = framing.holders(
        [
            quote(1, "lewisham.md", "the people at the helm of Momentum"),
            quote(2, "lewisham.md", None, "This was echoed by the Momentum activist."),
        ]
    )
    assert keys == ["lewisham.md#people", "#2"]


def test_of_two_subjects_of_a_reporting_verb_the_nearest_speaks() -> None:
    sentences = [
        "In his opening remarks the chairman of ‘the voice of primary care’ — the NHS "
        "Alliance — Dr Michael Dixon admitted to being “an enormous fan of co-operatives.”",
    ]
    assert analyse(sentences)[0][0] == ("Dr Michael Dixon", "admitted")


def test_a_name_that_only_describes_a_thing_is_nobody_a_pronoun_stands_for() -> None:
    sentences = [
        "A young man wearing a Jeremy Corbyn t-shirt appears on screen and starts dancing.",
        "“There’s only one game in town”, he announces, and he is planning to explain it.",
        "Shadow health secretary Liam Fox said the Tories supported the principle.",
        "“The government should not rely on us,” he added.",
    ]
    found = [who and who[0] for who, _ in analyse(sentences)]
    assert found[1] is None  # the man in the t-shirt, whom the text hasn't named yet
    assert found[3] == "Liam Fox"  # a name beside a title is a person


def test_a_role_given_to_a_name_is_that_person_for_a_later_pronoun() -> None:
    sentences = [
        "The unions defeated the plans despite a plea from the health secretary, Patricia "
        "Hewitt, that it was vital.",
        "Results of a card vote will not be announced until this morning.",
        "The health secretary will not moderate her policies as a result of the vote.",
        "But she promised to consult more.",
        "The weather was mild.",
        "The chairman will not comment.",
        "But he promised to resign.",
    ]
    found = [who and who[0] for who, _ in analyse(sentences)]
    assert found[3] == "Patricia Hewitt"
    assert found[6] is None  # a role no name was given in this document is nobody's


def test_a_quotation_between_two_sentences_of_one_speaker_is_theirs() -> None:
    sentences = [
        "Throughout this week Ms Hewitt has rejected alarm over NHS trust cash deficits.",
        '"By and large the deficits are in wealthier parts of the country."',
        "That inequality must be changed, Ms Hewitt said.",
        "Mr Prentis has rejected the plans.",
        '"We are told that the NHS has to be fragmented."',
        "The conference was divided.",
    ]
    found = [who and who[0] for who, _ in analyse(sentences)]
    assert found[1] == "Ms Hewitt"
    assert found[4] is None  # the sentence after it is nobody's: the quotation stays so


def test_a_quotation_is_the_speaker_the_writer_last_reported_in_its_paragraph() -> None:
    sentences = [
        "Mr Prentis described NHS staff as the real changemakers.",
        "Yet health visitors were threatened with transfer to the private sector.",
        "“We are told that the NHS has to be fragmented.",
        "And if an NHS hospital can't compete it will close.”",
        "Ms Hewitt said the NHS had always used the private sector.",
        "Yet Dave Prentis was not convinced.",
        "“Profits are part of a dynamic economy.”",
        "Mr Prentis described the plans as a disaster.",
        "Health visitors were threatened with transfer.",
        "“We are told that the NHS has to be fragmented.”",
        "A week later, budget cuts claimed the job she loved.",
        "Last month, she sat down and wrote me a letter.",
        "“We are the face of the unemployment crisis,” she wrote.",
    ]
    paragraphs = [True, False, False, False, True, False, False, True, False, True, True]
    paragraphs += [False, False]
    found = [who and who[0] for who, _ in analyse(sentences, paragraphs)]
    assert found[2] == found[3] == "Mr Prentis"  # past the writer's sentence between
    assert found[6] is None  # a sentence between names another person
    assert found[9] is None  # a quotation opening its paragraph looks one sentence back
    assert found[12] is None  # … or speaks of someone ("she sat down")


def test_one_speakers_quotation_takes_one_place_in_a_broad_answer(
    seed_kb: KnowledgeBase,
) -> None:
    answer = seed_kb.answer_sync("What did the unions say about foundation hospitals?")
    told = [c.n for c in answer.citations if "We are told that the NHS" in c.quote]
    close = [c.n for c in answer.citations if "can't compete it will close" in c.quote]
    assert told, answer.answer  # his quotation, shown …
    assert close in ([], told), answer.answer  # … in one place, not two
    assert re.search(r"Prentis[^\n]*:\n• “We are told", answer.answer), answer.answer


def _theirs(answer: Any, name: str) -> None:
    assert not answer.refused and answer.citations, answer.answer
    for c in answer.citations:  # their words, or the writer's about them
        assert name in (c.speaker or "") or name in c.quote, answer.answer


def test_one_persons_reasons_are_their_words_and_what_is_said_of_them(
    seed_kb: KnowledgeBase,
) -> None:
    """Asked why one person says something, the answer is theirs and what the writer says
    of them: not Michael Dixon's praise of co-operatives, nor a sentence on the speakers
    of a conference, which filled the places his words left."""
    answer = seed_kb.answer_sync(
        "Why does Ed Mayo say the co-operative model is not privatisation?"
    )
    assert any("not privatisation" in c.quote for c in answer.citations), answer.answer
    _theirs(answer, "Mayo")


def test_asked_what_someone_said_the_writers_report_of_it_may_answer(
    seed_kb: KnowledgeBase,
) -> None:
    """ "… Ed Mayo has given … a cautious welcome, but says ministers need to make the process
    'easier and more predictable'" is attributed to no one (the "says" of a second clause),
    and a fact answer kept to his attributed sentences quoted another of his remarks."""
    answer = seed_kb.answer_sync("What does Ed Mayo say ministers need to make the process?")
    assert any("easier and more predictable" in c.quote for c in answer.citations), answer.answer


def test_a_party_none_of_whose_words_are_quoted_is_answered_by_what_is_said_of_it(
    seed_kb: KnowledgeBase,
) -> None:
    """No sentence is the Tories' own (Liam Fox speaks for them): the answer is what the
    articles say of them, not the unions' fears and Alan Milburn's concession beside."""
    answer = seed_kb.answer_sync("what do the tories think of foundation hospitals")
    assert any("supported the principle" in c.quote for c in answer.citations), answer.answer
    _theirs(answer, "Tories")


def test_a_question_typed_without_capitals_but_for_an_acronym_finds_its_speaker(
    seed_kb: KnowledgeBase,
) -> None:
    """ "paul flather" beside "NHS" was left in lower case, so the question asked nobody's
    words and the answer took Dave Prentis's argument on "destructive markets" for his."""
    answer = seed_kb.answer_sync("what does paul flather think about markets in the NHS")
    assert any("not without soul" in c.quote for c in answer.citations), answer.answer
    _theirs(answer, "Flather")
    assert "Prentis" not in answer.answer


def _verbatim_or_frame(kb: KnowledgeBase, text: str, citations: list) -> None:
    """Take out every quoted citation and its marker: what is left are fixed frames, each a
    speaker's words as the document has them, and a reporting verb from it (or the words
    saying the quote is a report of them). Under a holder's name, a bullet is the quote
    alone or marked as a report."""
    from index.answering.framing import BULLET, REPORT, REPORTED

    rest = text
    for c in citations:
        # shown between quotation marks (its own, or ours), one quotation mark at most
        # dropped at either end (its pair is in the sentence before or after)
        q = " ".join(c.quote.split())
        bodies = {q, q[1:], q[:-1], q[1:-1]}
        marks = (("“", "”"), ("‘", "’"), ("", ""))
        shown = [f"{w}{b}{w2} [{c.n}]" for b in bodies for w, w2 in marks]
        found = [s for s in shown if s in rest and s.startswith(("“", "‘", '"'))]
        assert found, (q, text)
        rest = rest.replace(max(found, key=len), "")
    sources = kb.settings.sources_dir
    bodies = " ".join(
        " ".join(load_document(sources / c.path, sources).text.split()) for c in citations
    )
    for frame in filter(None, (line.strip() for line in rest.splitlines())):
        if frame in (BULLET.strip(), f"{BULLET}{REPORT}:"):
            continue
        assert frame.endswith(":"), (frame, text)
        speaker = frame[:-1].removeprefix(f"{REPORTED} ")
        parts = [speaker, speaker.rsplit(" ", 1)[0].rstrip(",")]
        # as the text has them, but for the capital a line opens with
        assert any(q in bodies for p in parts for q in (p, p[:1].lower() + p[1:])), (frame, text)


def test_a_broad_question_gets_several_attributed_quotes_from_both_sides(
    seed_kb: KnowledgeBase,
) -> None:
    answer = seed_kb.answer_sync(
        "What happened in the health debate at Labour's Brighton conference?"
    )
    assert answer.shape == "broad" and not answer.refused
    assert 2 <= len(answer.citations) <= 5
    quotes = " ".join(c.quote for c in answer.citations)
    # the unions' side and the health secretary's side of the debate
    assert "failed to consult patients" in quotes
    assert "shorter waiting lists" in quotes or "Ms Hewitt was backed by delegates" in quotes
    prentis = next(c for c in answer.citations if "failed to consult" in c.quote)
    assert prentis.speaker and prentis.speaker.startswith("Dave Prentis")
    # the writer's report of what he argued is framed as a report, not put in his mouth
    assert "As reported of Dave Prentis, general secretary of Unison: “He argued" in answer.answer
    _verbatim_or_frame(seed_kb, answer.answer, answer.citations)
    assert answer.to_json()["shape"] == "broad"
    assert any(c.to_json().get("speaker") for c in answer.citations)


def test_asked_what_someone_said_a_broad_answer_quotes_them_first(
    seed_kb: KnowledgeBase,
) -> None:
    """Their own words before what others said around them (the delegates who backed her,
    the motion against her), as a fact question takes theirs."""
    answer = seed_kb.answer_sync("What did Patricia Hewitt say about private sector contracts?")
    assert answer.shape == "broad" and not answer.refused
    hers = [bool(c.speaker and "Hewitt" in c.speaker) for c in answer.citations]
    assert hers[0] and hers == sorted(hers, reverse=True), answer.answer
    theirs = [c.quote for c, h in zip(answer.citations, hers, strict=True) if h]
    assert any("NHS had always made use of the private sector" in q for q in theirs)
    # "She said the NHS had always …": the writer's report of her words, framed as such,
    # under her name with whatever else of hers is quoted
    assert re.match(r"(Ms|Patricia) Hewitt:\n• ", answer.answer), answer.answer
    assert "\n• As reported: “She said the NHS" in answer.answer.split("\n\n")[0]
    _verbatim_or_frame(seed_kb, answer.answer, answer.citations)


@pytest.mark.parametrize(
    ("question", "group"),
    [
        ("What did the unions argue about private contracts in the NHS?", "union"),
        ("What do trade unions think of the plans?", "union"),
        ("What did the NHS bosses say?", "boss"),
        ("What did they say?", None),  # a pronoun, not a group
        ("What did Hewitt say?", None),  # a person: Question.speaker
        ("What did the unions win?", None),  # not a verb of saying
    ],
)
def test_the_group_whose_words_a_question_asks_for(question: str, group: str | None) -> None:
    assert group_asked_about(question) == group


def test_a_speaker_is_described_by_every_phrase_naming_them() -> None:
    table = SentenceTable(
        speakers=[
            ("Mr Prentis", "described"),
            ("Dave Prentis, leader of Britain's biggest health union Unison", "said"),
            ("delegates", "argued"),
            ("a local Momentum organiser", ""),
        ]
    )
    assert "union" in table.described("Mr Prentis")
    assert "union" not in table.described("delegates")
    assert table.described("a local Momentum organiser") == {"local", "momentum", "organis"}
    assert table.described("someone new") == {"someon", "new"}


def test_asked_what_a_group_said_the_answer_quotes_its_members_first(
    seed_kb: KnowledgeBase,
) -> None:
    """The README's question: "the unions" are Dave Prentis, whom the library describes as
    the leader of a union, and not the delegates who backed the health secretary."""
    answer = seed_kb.answer_sync("What did the unions argue about private contracts in the NHS?")
    assert answer.shape == "broad" and not answer.refused
    first = answer.citations[0]
    assert first.speaker and "Prentis" in first.speaker, answer.answer
    assert "delegates" not in first.quote
    _verbatim_or_frame(seed_kb, answer.answer, answer.citations)


def test_a_fact_question_gets_one_quote(seed_kb: KnowledgeBase) -> None:
    answer = seed_kb.answer_sync(
        "Which Green MP is proposing a prayer against the competition regulations?"
    )
    assert answer.shape == "fact" and len(answer.citations) == 1
    assert "Caroline Lucas" in answer.citations[0].quote
    _verbatim_or_frame(seed_kb, answer.answer, answer.citations)


def test_a_when_question_is_answered_with_its_time(seed_kb: KnowledgeBase) -> None:
    answer = seed_kb.answer_sync("When is the Commons vote on foundation hospitals?")
    assert not answer.refused and "next Wednesday" in answer.citations[0].quote


@pytest.mark.parametrize(
    ("question", "needs_time"),
    [
        ("When was Unison founded?", True),
        ("On what date did the High Court rule?", True),
        ("When must commissioners advertise a contract?", False),  # a condition
        ("What did Ms Hewitt say when she was heckled?", False),  # a conjunction
        ("Who was health secretary when the Bill was passed?", False),
    ],
)
def test_only_a_question_asking_when_something_happens_needs_a_time(
    question: str, needs_time: bool
) -> None:
    assert evidence.must_hold_answer(question) is needs_time


@pytest.mark.parametrize(
    "question",
    [
        "Who spoke on health for the Lib Dems?",  # "Lib Dems": the text says Liberal Democrats
        "What did the Co-operatives UK boss want ministers to change about the process?",
    ],
)
def test_paraphrased_questions_are_answered(seed_kb: KnowledgeBase, question: str) -> None:
    assert not seed_kb.answer_sync(question).refused


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("What did Boris Johnson say about the NHS?", "Boris Johnson"),  # never mentioned
        ("In what year was the NHS founded?", None),  # about the NHS, but no year given
        # about him and his post, but no date given: a "when" question needs a time
        ("When was Dave Prentis first elected general secretary of Unison?", None),
        ("What is the capital of Australia?", "Australia"),
    ],
)
def test_what_the_library_does_not_cover_is_refused(
    seed_kb: KnowledgeBase, question: str, why: str | None
) -> None:
    answer = seed_kb.answer_sync(question)
    assert answer.refused, answer.answer
    assert not re.search(r"\[\d+\]", answer.answer)


@pytest.mark.parametrize(
    ("quote", "shown"),
    [
        ("The conference was divided.", "“The conference was divided.”"),
        # a sentence that is one quotation keeps its own marks, not ours around them
        ("“We have shown that we will campaign.”", "“We have shown that we will campaign.”"),
        # … typed with straight marks too: not a straight pair inside our curly one
        (
            '"By and large the deficits are in wealthier parts."',
            "“By and large the deficits are in wealthier parts.”",
        ),
        # a closing mark whose opening is in the sentence before is not shown
        ("ending the cuts.”", "“ending the cuts.”"),
        ('He said: "My party asked me.', '“He said: "My party asked me.”'),
        # a quote holding double marks of its own goes between single ones
        ("He said it was “vital”.", "‘He said it was “vital”.’"),
        (
            "“If they tried, it would backfire.” Though some disagree.",
            "‘“If they tried, it would backfire.” Though some disagree.’",
        ),
    ],
)
def test_quotes_are_shown_between_one_pair_of_quotation_marks(quote: str, shown: str) -> None:
    assert types.shown(quote) == shown


def test_only_the_question_and_names_the_library_does_not_know_are_embedded(
    seed_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each text embedded costs as much as the question: what it asks without its names is
    read from the question's own pass, and a name the articles use is matched by its words,
    so only the question and an unknown name are embedded."""
    calls: list[tuple[list[str], list[list[str]]]] = []
    model = type(seed_kb.embed_model)
    real = model.embed_parts

    def spy(self: Any, texts: list[str], parts: Any) -> np.ndarray:
        calls.append((list(texts), [[texts[i][a:b] for a, b in spans] for i, spans in parts]))
        return real(self, texts, parts)

    monkeypatch.setattr(model, "embed_parts", spy)
    known = "What did Patricia Hewitt promise staff moved to private firms?"
    seed_kb.question(known)
    assert calls[-1] == (
        [known],
        [["What", "did", "promise", "staff", "moved", "to", "private", "firms?"]],
    )
    unknown = "What did Boris Johnson promise NHS staff this week?"
    question = seed_kb.question(unknown)
    assert calls[-1][0] == [unknown, "Boris Johnson"]
    # aligned with the names: a vector for the unknown one only ("NHS" is known)
    assert [v is not None for v in question.name_vectors] == [
        n == "Boris Johnson" for n in question.name_texts
    ]
    assert seed_kb.answer_sync(unknown).refused


def test_what_is_asked_leaves_out_names_written_with_a_possessive() -> None:
    """ "Hewitt's supporters": the name is Hewitt's, what is asked is about supporters."""
    question = "Which document did Hewitt's supporters say foreshadowed the contracts?"
    assert Question.to_embed(question).asked == (
        "Which document did supporters say foreshadowed the contracts?"
    )
    spans = Question.asked_spans(question)
    assert spans is not None
    assert "Hewitt" not in " ".join(question[a:b] for a, b in spans)


def _run(text: str, *speakers: tuple[str, str] | None) -> list[evidence.Evidence]:
    """A passage's consecutive sentences (split at ". ") as evidence, with their speakers."""
    sentences = [s if s.endswith(".") else s + "." for s in text.split(". ")]
    hit = Hit("c", "d.md", "T", "d.md", " ".join(sentences), 0, len(" ".join(sentences)), 0.5)
    out, at = [], 0
    for i, (sentence, who) in enumerate(zip(sentences, speakers, strict=True)):
        out.append(evidence.Evidence(
            hit=hit, start=at, end=at + len(sentence), text=sentence, meaning=0.5, window=0.5,
            lexical=0.0, lexical_asked=0.0, speaker=who, entities=None,
            vector=np.zeros(384, dtype=np.float32), score=1.0, typed=True,
            terms=frozenset(terms(sentence)), pos=i,
        ))  # fmt: skip
        at += len(sentence) + 1
    return out


@pytest.mark.parametrize(
    ("text", "speakers", "attributed"),
    [
        # the writer's own sentence beside the quotation: nobody's words as a whole
        (
            '"If they tried, it would backfire," Angell says. Though some CLPs struggle',
            [("Angell", "says"), None],
            None,
        ),
        # the quotation goes on, or the next sentence names its speaker: theirs
        (
            'Angell says it would backfire. "We want them to think"',
            [("Angell", "says"), None],
            "Angell",
        ),
        (
            "Ms Hewitt quoted from the accord. She promised to protect workers",
            [None, ("Ms Hewitt", "promised")],
            "Ms Hewitt",
        ),
        # another speaker in the quote: not one person's words
        ("Hewitt said yes. Prentis said no", [("Hewitt", "said"), ("Prentis", "said")], None),
        # one person named two ways ("Flather", "Mr Flather"): theirs, as named most fully
        (
            "It was hurting staff. Mr Flather urged more time",
            [("Flather", ""), ("Mr Flather", "urged")],
            "Mr Flather",
        ),
    ],
)
def test_a_quote_is_attributed_only_when_all_of_it_is_the_speakers(
    text: str, speakers: list, attributed: str | None
) -> None:
    assert extractive.citation(1, _run(text, *speakers)).speaker == attributed


@pytest.mark.parametrize(
    "question",
    [
        "What did the unions argue about private contracts in the NHS?",
        "What happened in the health debate at Labour's Brighton conference?",
        "Where did the parties stand on foundation hospitals?",
    ],
)
def test_a_broad_answer_names_each_holder_once(seed_kb: KnowledgeBase, question: str) -> None:
    """Each speaker's quotes together under their name, once, and the markers in order
    down the answer."""
    from index.answering.framing import BULLET
    from index.store.sentences import name_word

    answer = seed_kb.answer_sync(question)
    assert answer.shape == "broad" and not answer.refused
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    assert markers == list(range(1, len(answer.citations) + 1)), answer.answer
    # what introduces a line: a holder's name above bullets, or a frame before the quote
    intros = [
        re.split(r"[“‘]", line, maxsplit=1)[0]
        for line in answer.answer.split("\n")
        if not line.startswith(BULLET)
    ]
    for name in {name_word(c.speaker) for c in answer.citations if c.speaker}:
        assert sum(name in intro for intro in intros) <= 1, (name, answer.answer)


def test_a_quotation_is_its_speakers_from_its_report_to_its_closing_mark() -> None:
    """The writer's report of someone, then their words over sentences and paragraphs: all
    of the quotation is theirs; a title in quotation marks and a mark left unclosed by
    mistake make nobody's words."""
    sentences = [
        "Ms Hewitt said the NHS had always made use of the private sector.",
        "\"Haven't we learned that profits are not a dirty word?",
        "They are part of a dynamic economy.",
        '"People in pain are still being told to wait months.',  # a paragraph going on
        'That is not acceptable."',
        "The weather was mild.",
        '"Right to Provide" is a scheme for staff.',  # a title, not anyone's words
        'Mr Prentis said the plans were "a disaster.',  # never closed in its paragraph
        "Delegates voted against them.",
        '"It is the end of the NHS," one nurse said.',
        # the writer reporting the same speaker with a few of their words
        'The pace of reform was "hurting patients, hurting staff and hurting Labour".',
        'The so-called "internal market" was gone.',  # a scare quote: nobody's words
    ]
    paragraphs = [False, False, False, True, False, True, True, True, True, True, True, True]
    found = [who and who[0] for who, _ in analyse(sentences, paragraphs)]
    assert found[0] == "Ms Hewitt"
    assert found[1:5] == ["Ms Hewitt"] * 4
    assert found[5] is None and found[6] is None
    assert found[8] is None  # the unclosed mark of sentence 7 ended with its paragraph
    assert found[9] == "one nurse"
    assert found[10] == "one nurse" and found[11] is None


@pytest.mark.parametrize(
    ("passage", "quoted", "own"),
    [
        # inside a quotation the passage opened before it, closed after it: their words
        (
            'She said so. "Haven\'t we learned? They are part of it.\n\n"People wait." End.',
            "They are part of it.",
            True,
        ),
        (
            'She said so. "Haven\'t we learned? They are part of it.\n\n"People wait." End.',
            "People wait.",
            True,
        ),
        # a mark left unclosed: the next paragraph, and the rest of its own, are reports
        (
            'He said "oops. He argued that it was wrong.\n\nHe argued "so," he said.',
            "He argued that it was wrong.",
            False,
        ),
        ('He said "oops.\n\nHe argued that it was wrong.', "He argued that it was wrong.", False),
        ("He argued that it was wrong.", "He argued that it was wrong.", False),
    ],
)
def test_a_sentence_inside_a_quotation_is_framed_as_the_speakers_words(
    passage: str, quoted: str, own: bool
) -> None:
    at = passage.index(quoted)
    hit = Hit("c", "d.md", "T", "d.md", passage, 0, len(passage), 0.5)
    ev = evidence.Evidence(
        hit=hit, start=at, end=at + len(quoted), text=quoted, meaning=0.5, window=0.5,
        lexical=0.0, lexical_asked=0.0, speaker=("Ms Hewitt", ""), entities=None,
        vector=np.zeros(384, dtype=np.float32), score=1.0, typed=True,
        terms=frozenset(terms(quoted)), pos=0,
    )  # fmt: skip
    c = extractive.citation(1, [ev])
    assert framing.own_words(c) is own
    framed = framing.compose_broad([[c]])
    assert framed.startswith(framing.REPORTED) is not own


def test_how_long_is_answered_by_a_length_of_time(seed_kb: KnowledgeBase) -> None:
    """ "How long …" asks a length of time, which a sentence can give without a figure
    ("wait months, sometimes years"): the sentence that says it answers, as her words."""
    answer = seed_kb.answer_sync(
        "How long does Hewitt say people are told to wait for an MRI scan?"
    )
    assert not answer.refused
    assert "months, sometimes years" in answer.citations[0].quote
    assert answer.answer.startswith("Ms Hewitt: ")


def test_a_line_opening_with_a_described_speaker_opens_with_a_capital() -> None:
    from index.answering.types import Citation

    quote = "“We want the CLPs to become outward-looking campaigning bodies.”"
    c = Citation(1, "T", "d.md", "d.md", quote, 0.5, 0, len(quote),
                 speaker="a local Momentum organiser")  # fmt: skip
    assert framing.compose_broad([[c]]).startswith("A local Momentum organiser: “We want")
    two = [c, Citation(2, "T", "d.md", "d.md", quote, 0.5, 0, len(quote),
                       speaker="a local Momentum organiser")]  # fmt: skip
    assert framing.compose_broad([two]).startswith("A local Momentum organiser:\n")


def test_a_straight_quoted_sentence_the_answer_shows_is_not_listed_again() -> None:
    """Shown between one curly pair in the answer ("“We are told …”"), a sentence typed
    between straight marks is the answer's quote: its source line names where it is from
    without printing it again as “"We are told …"”."""
    from index.answering.types import Answer, Citation

    quote = '"We are told that the NHS has to be fragmented. If it can\'t compete it will close."'
    c = Citation(1, "T", "d.md", "d.md", quote, 0.5, 0, len(quote), speaker="Mr Prentis")
    text = framing.framed([c])
    assert '“"' not in text and text.count("“") == 1
    answer = Answer(question="q", answer=text, refused=False, citations=[c])
    assert answer.shows_quote(c)
    assert [line.quoted for line in answer.source_lines()] == [True]


def test_what_happened_is_asked_of_the_topic_not_of_the_word_happen(
    seed_kb: KnowledgeBase,
) -> None:
    """ "What happened to Lewisham Hospital?" asks what took place: a sentence saying "make
    sure that it can't happen again" about party meetings is not about it. The answer opens
    with the council's court case over the hospital."""
    answer = seed_kb.answer_sync("What happened to Lewisham Hospital?")
    assert not answer.refused
    assert "High Court" in answer.citations[0].quote, answer.answer
    assert "happen again" not in answer.citations[0].quote


def test_a_plural_name_is_found_as_its_singular() -> None:
    """ "The Greens" are the Green Party and "the Lib Dems" a Lib Dem spokesman's party: the
    sentence naming them counts as naming the question's name, whole words only."""
    lookup = evidence._NameLookup(["Greens", "Lib Dems", "Hunt"])
    texts = [
        "The Green Party conference backed an emergency motion.",
        "The Lib Dem spokesman said so.",
        "Greenhouse gases rose.",
    ]
    shares = lookup.found_in(" ".join(texts), texts, [None, None, None])
    assert shares == [1 / 3, 1 / 3, 0.0]


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("Who is Hewitt?", ("Hewitt",)),
        ("What position does Richard Angell hold?", ("Richard", "Angell")),
        ("What is Marie le Conte's job?", ("Marie", "le", "Conte")),
        ("Who is the Secretary General of Co-operatives UK?", ()),  # a role, asking the person
        ("Who is worried about the new members?", ()),
    ],
)
def test_a_question_asking_who_someone_is(question: str, name: tuple[str, ...]) -> None:
    from index.answering.identity import identity_asked

    assert identity_asked(question) == name


@pytest.mark.parametrize(
    ("sentence", "says"),
    [
        ("… a plea from the health secretary, Patricia Hewitt, that it was vital.", True),
        ("Health Secretary Patricia Hewitt told the conference so.", True),
        ("Ms Hewitt, the health secretary, spoke first.", True),
        ("Patricia Hewitt is the health secretary.", True),
        ("Mr Flather said Ms Hewitt was under obligation to take notice.", False),
        ("Ms Hewitt, who spoke first, was backed by delegates.", False),
    ],
)
def test_a_sentence_saying_who_someone_is(sentence: str, says: bool) -> None:
    from index.answering.identity import describes

    assert describes(("Patricia", "Hewitt"), sentence) is says


def test_who_someone_is_is_answered_with_their_role(seed_kb: KnowledgeBase) -> None:
    """ "Who is Hewitt?" quoted "Mr Flather … said Ms Hewitt was under obligation …", the
    sentence scoring best for her name; the one giving her role answers it."""
    answer = seed_kb.answer_sync("Who is Hewitt?")
    assert "health secretary" in answer.citations[0].quote.lower(), answer.answer
