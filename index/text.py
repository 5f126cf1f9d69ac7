"""Sentence splitting with exact character spans, and the word statistics answers need."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType

from index.documents import Sentence, Structure

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A word is letters and digits of any script ("Zoë", "Hernández", "Łódź", "Straße", "私营"),
# joined by apostrophes and hyphens ("o'clock", "co-operative"); an accent typed as a
# combining mark ("e" + U+0301) stays in its word. `[^\W_]` is \w without "_" (letters and
# digits); the possessive quantifiers keep it as fast as the ASCII class it replaced.
_JOINER = r"['’\-\u0300-\u036f]"
WORD = re.compile(rf"[^\W_](?:[^\W_]++|{_JOINER})*+")
# The same without digits: words of letters only (index/search/casing.py).
LETTER_WORD = re.compile(rf"[^\W\d_](?:[^\W\d_]++|{_JOINER})*+")
# A capital letter in a pattern: ASCII, Latin-1 and Latin Extended-A ("Émile", "Łukasz";
# Extended-A mixes cases, and a lower-case letter from it rarely starts an English word).
CAPITAL = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"


@cache
def _nltk_folder() -> str | None:
    """Where the NLTK data llama-index ships (punkt, stopwords) is, found without importing
    llama_index.core (over a second): NLTK_DATA if set, else inside the installed package."""
    import importlib.util

    folder = os.environ.get("NLTK_DATA", "")
    if folder:
        return folder
    spec = importlib.util.find_spec("llama_index.core")  # locates it, imports nothing
    locations = list(spec.submodule_search_locations or []) if spec else []
    found = [p for p in (Path(x) / "_static" / "nltk_cache" for x in locations) if p.is_dir()]
    return str(found[0]) if found else None


@cache
def _nltk_data() -> None:
    """Put that data on nltk's path, so nothing is downloaded."""
    from nltk.data import path as nltk_path

    folder = _nltk_folder()
    if folder is None:  # not where it used to be: let llama-index find (or fetch) it
        from llama_index.core.utils import globals_helper

        globals_helper.wait_for_nltk_check()
        return
    if folder not in nltk_path:
        nltk_path.append(folder)


@cache
def _punkt():  # returns an nltk PunktTokenizer
    from nltk.tokenize import PunktTokenizer

    _nltk_data()
    return PunktTokenizer()


def _english_stopwords() -> list[str]:
    """NLTK's English stopword list, read straight from its file: importing nltk to read
    it costs a quarter of a second of every fresh process."""
    folder = _nltk_folder()
    listed = Path(folder) / "corpora" / "stopwords" / "english" if folder else None
    if listed is not None and listed.is_file():
        return [w.strip() for w in listed.read_text(encoding="utf-8").splitlines() if w.strip()]
    from nltk.corpus import stopwords as nltk_stopwords

    _nltk_data()
    return list(nltk_stopwords.words("english"))


@cache
def stopwords() -> frozenset[str]:
    # Question words that carry no topic.
    extra = {
        "said",
        "says",
        "say",
        "did",
        "does",
        "also",
        "would",
        "could",
        "us",
        "many",
        "much",
        "whose",
        "according",
        "tell",
        "please",
        "anything",
        "something",
    }
    return frozenset(_english_stopwords()) | extra


def split_sentences(text: str, apart: Sequence[Structure] = ()) -> list[Sentence]:
    """Sentences of `text` as spans; never crossing a paragraph break, never losing prose.
    `apart` (a document's headings, tables and code, index/documents.py) holds no sentence
    and ends the one before it."""
    spans: list[Sentence] = []
    pos = 0
    for part in [*sorted(apart, key=lambda p: p.start), None]:
        end = part.start if part else len(text)
        if end > pos:
            spans += _prose(text, pos, end)
        if part:
            pos = max(pos, part.end)
    return spans


# The end of a text that stops at an abbreviation: a capitalised word of up to three letters
# ("No.", "Vol.", "Art."), a single letter or "pp"/"para" ("p. 12"), or initials ("S.I.").
_ABBREVIATION_END = re.compile(
    r"(?:\b[A-Z][a-z]{0,2}|\b[a-z]|\bpp|\bpara|\b(?:[A-Za-z]\.)+[A-Za-z])\.[\s\]\)]*$"
)


def _prose(text: str, lo: int, hi: int) -> list[Sentence]:
    """The sentences of text[lo:hi], paragraph by paragraph."""
    tokenizer = _punkt()
    spans: list[Sentence] = []
    pos = lo
    for block in [*_PARAGRAPH_BREAK.finditer(text, lo, hi), None]:
        end = block.start() if block else hi
        paragraph = text[pos:end]
        for a, b in tokenizer.span_tokenize(paragraph):
            start, stop = pos + a, pos + b
            # Punkt splits after abbreviations it doesn't know ("No. 257"); a "sentence"
            # starting in lower case continues the previous one, and one starting with a
            # digit does after an abbreviation ("No.", "S.I.", "p."), not after a sentence
            # ("… by the end of 2006. 29 hospital staff …").
            digit_after_abbreviation = text[start].isdigit() and bool(
                _ABBREVIATION_END.search(text, spans[-1].start if spans else lo, start)
            )
            if (
                spans
                and spans[-1].end >= pos
                and (text[start].islower() or digit_after_abbreviation)
            ):
                spans[-1] = Sentence(spans[-1].start, stop)
            else:
                spans.append(Sentence(start, stop))
        pos = block.end() if block else hi
    return spans


# Control characters (C0 but tab and newline, DEL, C1): a terminal acts on them (clearing
# the screen, hiding text, hyperlinks that say one thing and go to another), so no text
# shown to anyone may hold them. ECMA-48 escape sequences go whole, so no "[2J" is left:
# CSI (ESC [ or 0x9B, parameters, one final byte), strings (OSC, DCS, SOS, PM, APC) up to
# their terminator (BEL or ST) or the line's end, and the other two-character ESC forms.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)


def without_escapes(text: str) -> str:
    """`text` without terminal escape sequences, their printable tails too ("[31m")."""
    return _ESCAPE_SEQUENCE.sub("", text) if CONTROL.search(text) else text


def without_controls(text: str) -> str:
    """`text` with escape sequences dropped and control characters gone: those that are
    spacing (vertical tab, form feed, the separators, NEL) as a space, the rest removed."""
    if not CONTROL.search(text):
        return text
    text = _ESCAPE_SEQUENCE.sub("", text)
    return CONTROL.sub(lambda m: " " if m.group().isspace() else "", text)


def words(text: str) -> list[str]:
    """Lower-cased word tokens for lexical matching; possessive 's dropped."""
    return [_word(w) for w in WORD.findall(text)]


# Letters in a script other than Latin (ASCII, Latin-1, Latin Extended A, B and Additional):
# the gate asks them as typed, names among them (index/search/gate.py); an English library
# holds none of them.
_UNREAD = re.compile(r"[^\W\d_A-Za-z\u00aa\u00b5\u00ba\u00c0-\u024f\u1e00-\u1eff]+")


def unread_words(text: str) -> list[str]:
    """Runs of letters `words` can't read: "профсоюзы", "私营合同说了什么"."""
    return _UNREAD.findall(text)


def _word(token: str) -> str:
    """One word token as `words` gives it."""
    w = token.lower().replace("’", "'").strip("'-")
    return w[:-2] if w.endswith("'s") else w


def named_entities(text: str) -> list[str]:
    """Capitalised words that don't start the text: the words of the names in a question or
    a claim. (Names in the library's own text are found by a NER model at refresh time,
    index/ingest/attribution.py; a question is short and its capitals are the asker's signal.)"""
    found = WORD.findall(text)
    stop = stopwords()
    return [w for w in found[1:] if w[0].isupper() and w.lower() not in stop]


def name_phrases(text: str) -> list[str]:
    """The names a question is about, whole: runs of capitalised words ("Lib Dems",
    "Co-operatives UK", "Secretary of State"), the text's first word left out."""
    tokens = list(WORD.finditer(text))
    stop = stopwords()
    out: list[str] = []
    run: list[str] = []
    for i, m in enumerate(tokens):
        w = m.group(0)
        capital = i > 0 and w[0].isupper() and w.lower() not in stop
        joins = (
            run
            and w == "of"
            and i + 1 < len(tokens)
            and tokens[i + 1].group(0)[0].isupper()
            and not text[tokens[i - 1].end() : m.start()].strip()
        )
        adjacent = run and not text[tokens[i - 1].end() : m.start()].strip(" ")
        if (capital and (not run or adjacent)) or joins:
            run.append(w)
        else:
            if run:
                out.append(" ".join(run))
            run = [w] if capital else []
    if run:
        out.append(" ".join(run))
    return out


_ACRONYM = re.compile(r"\b([A-Z]{2,6})s?\b")


@lru_cache(maxsize=256)
def acronyms(question: str) -> Mapping[str, tuple[str, ...]]:
    """Acronyms the question's phrases could be written as, with the phrase's terms:
    "constituency Labour parties" → {"CLP": (constitu, labour, parti)}, so a sentence saying
    "three CLPs" is seen to answer it. Stopwords inside a phrase ("Department of Health")
    are skipped. Cached (read-only): one question asks for it several times."""
    stop = stopwords()
    tokens = [w for w in WORD.findall(question) if w.lower() not in stop]
    out: dict[str, tuple[str, ...]] = {}
    for n in range(2, 7):
        for i in range(len(tokens) - n + 1):
            phrase = tokens[i : i + n]
            out.setdefault("".join(w[0] for w in phrase).upper(), tuple(terms(" ".join(phrase))))
    return MappingProxyType(out)


def acronym_terms(text: str, expansions: Mapping[str, tuple[str, ...]]) -> set[str]:
    """The question terms that acronyms in `text` stand for."""
    if not expansions:
        return set()
    found: set[str] = set()
    for m in _ACRONYM.finditer(text):
        found.update(expansions.get(m.group(1), ()))
    return found


def content_words(text: str) -> list[str]:
    stop = stopwords()
    return [w for w in words(text) if w and w not in stop]


# Names how `terms` turns text into words (word reader, stemmer, stopwords): side files
# built with another version are rebuilt, since their BM25 vocabulary would not match a
# question's. 2: accented and other Unicode letters are letters ("hernández", not "hern").
# 3: an initialism with full stops is one word ("S.I." is "si").
TERMS_VERSION = "snowball-porter+nltk-stopwords-3"


@cache
def _porter():  # returns a Stemmer.Stemmer
    import Stemmer  # PyStemmer: Snowball's C stemmers; imports in a millisecond (NLTK: 300)

    return Stemmer.Stemmer("porter")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Porter stem, so 'promised'/'promise' and 'hospitals'/'hospital' match."""
    return str(_porter().stemWord(word))


# An initialism written with full stops ("S.I.", "U.K.") is one word, as written without:
# "What is the SI number …" was refused as naming something "the sources don't mention".
_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")


def terms(text: str) -> list[str]:
    """Stemmed content words: the vocabulary of lexical retrieval and evidence scoring
    (`stem` of `content_words`, a word token at a time)."""
    if "." in text:
        text = _DOTTED.sub(lambda m: m.group().replace(".", ""), text)
    return [t for t in map(term, WORD.findall(text)) if t]


@lru_cache(maxsize=65536)
def term(token: str) -> str:
    """One word token as `terms` counts it; "" for a stopword. Tokens repeat, so each is
    worked out once (this is most of the time of scoring a question's candidate sentences)."""
    w = _word(token)
    return stem(w) if w and w not in stopwords() else ""


# Double quotation marks: the curly pair and the straight mark, which both opens and closes.
OPENING_MARKS = ("“", '"')
QUOTATION_MARKS = ("“", "”", '"')


def looks_plural(word: str) -> bool:
    """Does a noun read as plural by its ending ("votes", "Ministers"; not "press", "bus",
    "analysis")?"""
    w = word.lower()
    return w.endswith("s") and not w.endswith(("ss", "us", "is"))


def quotation_open(text: str, inside: bool = False) -> tuple[bool, int | None]:
    """Is a quotation open at the end of `text` (given whether one was at its start), and
    where the last quotation mark closing one is. Curly marks say which they are; a
    straight one opening the text or a line opens, any other opens or closes. A line goes
    on with a quotation only by opening it again, as print does: one that doesn't ends
    it, so a mark left unclosed by mistake reaches no further than its paragraph."""
    closed = None
    fresh = True  # at the start of the text or of a line
    for k, ch in enumerate(text):
        if ch.isspace():
            fresh = fresh or ch == "\n"
            continue
        if ch == OPENING_MARKS[0] or (ch == '"' and (not inside or fresh)):
            inside = True
        elif ch in QUOTATION_MARKS[1:] and inside:
            inside, closed = False, k
        elif fresh and k:
            inside = False  # a line that doesn't go on with the quotation
        fresh = False
    return inside, closed
