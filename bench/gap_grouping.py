"""How well gaps group questions by meaning: pairwise F1 of bot.gaps.group on a labelled file.

bench/gaps/questions.txt holds health-policy questions members might ask, in 13 topics
(6 that the seed library covers, 7 it doesn't), plus off-topic noise (each its own group).
Its lines alternate between two halves within each topic: the cosine threshold is chosen
on the tuning half only, then the held-out half is scored once at that threshold.

Pairwise F1: over all pairs of questions of a half, precision = share of pairs grouped
together that share a topic, recall = share of same-topic pairs grouped together.

    python bench/gap_grouping.py             # prints the sweep, the choice and both figures
    python bench/gap_grouping.py --variants  # also other representations tried (not adopted)
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import numpy as np

from bot.gaps import GROUP_SIMILARITY, group
from index.ingest.llama_embedding import MiniLMEmbedding

FILE = Path(__file__).resolve().parent / "gaps" / "questions.txt"
SWEEP = [round(0.30 + 0.02 * k, 2) for k in range(31)]  # 0.30 … 0.90


def load() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(topic, question) pairs of the tuning and held-out halves; noise gets unique topics."""
    seen: dict[str, int] = {}
    halves: tuple[list[tuple[str, str]], list[tuple[str, str]]] = ([], [])
    for n, line in enumerate(FILE.read_text(encoding="utf-8").splitlines()):
        if not line.strip() or line.startswith("#"):
            continue
        topic, question = line.split("\t")
        k = seen.get(topic, 0)
        seen[topic] = k + 1
        halves[k % 2].append((f"noise{n}" if topic == "-" else topic, question))
    return halves


def pairwise_f1(topics: list[str], clusters: list[list[int]]) -> tuple[float, float, float]:
    label = {i: c for c, members in enumerate(clusters) for i in members}
    tp = fp = fn = 0
    for a, b in combinations(range(len(topics)), 2):
        same_gold, same_pred = topics[a] == topics[b], label[a] == label[b]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


_STOP = (
    "a an the is are was were be been do does did to of in on for with about by from at as and "
    "or but if what whats what's why how who which when where will would can could should may "
    "might must i me my we our you your it its this that these those there their they them he "
    "she his her any some more most much many now new so not no than get got have has had into "
    "over up out just still going really"
)
STOP = frozenset(_STOP.split())  # question words and function words: what isn't the topic


def _words(q: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z0-9']+", q.lower()) if w not in STOP]


def _unit(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms == 0, 1, norms)


def _tfidf(questions: list[str]) -> np.ndarray:
    """Stemmed content words, tf-idf over the half itself."""
    import Stemmer

    stem = Stemmer.Stemmer("english")
    docs = [[stem.stemWord(w) for w in _words(q)] for q in questions]
    vocab = {t: i for i, t in enumerate(sorted({t for d in docs for t in d}))}
    m = np.zeros((len(docs), len(vocab)))
    for r, d in enumerate(docs):
        for t in d:
            m[r, vocab[t]] += 1
    idf = np.log((1 + len(docs)) / (1 + (m > 0).sum(axis=0))) + 1
    return _unit(m * idf)


def variants(model: MiniLMEmbedding) -> dict[str, Callable[[list[str]], np.ndarray]]:
    """Other representations of a question, each tuned and scored like the adopted one."""

    def raw(qs: list[str]) -> np.ndarray:
        return _unit(model.embed(qs))

    def content(qs: list[str]) -> np.ndarray:
        return _unit(model.embed([" ".join(_words(q)) or q for q in qs]))

    def centred(qs: list[str]) -> np.ndarray:
        v = content(qs)
        return _unit(v - v.mean(axis=0))

    def with_words(qs: list[str]) -> np.ndarray:
        return np.hstack([np.sqrt(0.7) * raw(qs), np.sqrt(0.3) * _tfidf(qs)])

    return {
        "question embedding (adopted)": raw,
        "content words only": content,
        "content words, centred on the half's mean": centred,
        "0.7 × embedding cosine + 0.3 × tf-idf cosine": with_words,
    }


def tune_and_score(
    tune: list[tuple[str, str]], held: list[tuple[str, str]], rep: Callable[[list[str]], np.ndarray]
) -> tuple[float, float, float]:
    vt, vh = rep([q for _, q in tune]), rep([q for _, q in held])
    grid = [round(0.10 + 0.02 * k, 2) for k in range(41)]
    scored = [(pairwise_f1([t for t, _ in tune], group(vt, x))[2], x) for x in grid]
    f1, x = max(scored, key=lambda s: s[0])  # the first (lowest) threshold among equals
    return x, f1, pairwise_f1([t for t, _ in held], group(vh, x))[2]


def main() -> None:
    model = MiniLMEmbedding()
    tune, held = load()
    vectors = {
        name: model.embed([q for _, q in half]) for name, half in (("tune", tune), ("held", held))
    }
    print(
        f"# {FILE.relative_to(FILE.parents[2])}: tuning half {len(tune)}, held-out half {len(held)}"
    )
    print("threshold  P     R     F1  (tuning half)")
    best = (-1.0, 0.0)
    for t in SWEEP:
        p, r, f1 = pairwise_f1([t_ for t_, _ in tune], group(vectors["tune"], t))
        print(f"{t:.2f}      {p:.3f} {r:.3f} {f1:.3f}")
        if f1 > best[0] + 1e-9:
            best = (f1, t)
    f1_tune, chosen = best
    print(
        f"chosen on the tuning half: {chosen:.2f} (F1 {f1_tune:.3f}); "
        f"in bot/gaps.py: {GROUP_SIMILARITY}"
    )
    for name, half in (("tuning", tune), ("held-out", held)):
        key = "tune" if name == "tuning" else "held"
        p, r, f1 = pairwise_f1([t_ for t_, _ in half], group(vectors[key], GROUP_SIMILARITY))
        print(
            f"{name} half at GROUP_SIMILARITY={GROUP_SIMILARITY}: P {p:.3f} R {r:.3f} F1 {f1:.3f}"
        )
    # the cost of grouping itself, on random unit vectors of the model's size
    rng = np.random.default_rng(0)
    for n in (200, 1000, 2000):
        v = rng.standard_normal((n, vectors["tune"].shape[1])).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        v[n // 2 :] = v[: n - n // 2] + 0.3 * v[n // 2 :]  # half near-duplicates: many merges
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        started = time.perf_counter()
        group(v, GROUP_SIMILARITY)
        print(f"grouping {n} questions: {time.perf_counter() - started:.2f} s")
    print(
        "command: python bench/gap_grouping.py"
        + (" --variants" if "--variants" in sys.argv else "")
    )
    if "--variants" in sys.argv:
        for name, rep in variants(model).items():
            x, f1_t, f1_h = tune_and_score(tune, held, rep)
            print(f"{name}: threshold {x:.2f}, F1 tuning {f1_t:.3f}, held-out {f1_h:.3f}")


if __name__ == "__main__":
    main()
