"""Would weights learned from the labelled questions read new questions better than the
hand-weighted cue table (index/search/asking.py)?

A softmax regression over the cue table's matches and the question's words and word pairs
(numpy, L2), for the kind asked and, separately, for the shape. Measured file by file: each
labelled tuning file is read by a model trained on the other files only, so every figure is
on questions the model never saw. The cue table's own figure is printed beside it; only
tuning 5 (stop 35) was read once before the table was tuned on it (0.708 / 0.775), so that
check is the fair comparison. Then the shape model trained on all five files reads the
question sets of the answer benchmarks, whose shapes are known (bench/shape_reader.py's
BY_FILE): what its answers would lose. The held-out file is not read.

    .venv/bin/python bench/tuning/learned_reader.py [--agreed]

--agreed trains on the questions whose two readers (shapes_second_reader.jsonl) agree only.
--form keeps only the words that say how a question is asked, not what about: the stopwords
(index.text.stopwords: wh-words, auxiliaries, pronouns, "say", "according"), every other word
read as "_". With every word, the weights learn the library: "bennett" toward one fact,
"momentum", "greens", "clps" toward broad.
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import numpy as np

from index.search.asking import _COMPILED, ASKS, read
from index.text import stopwords

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from label_agreement import FILES as LABELLED
from label_agreement import rows
from shape_reader import BY_FILE
from shape_reader import rows as rows_of

FILES = [(part, name) for part, name in LABELLED if part != "held-out"]  # never read here
_WORD = re.compile(r"[a-z0-9']+")
FORM = "--form" in sys.argv


def features(question: str) -> list[str]:
    words = ["^", *_WORD.findall(question.lower().replace("’", "'")), "$"]
    if FORM:
        words = [w if w in stopwords() or w in "^$" else "_" for w in words]
    feats = [f"w:{w}" for w in words[1:-1]]
    feats += [f"b:{a}_{b}" for a, b in itertools.pairwise(words)]
    feats += [f"c:{i}" for i, (p, _, _) in enumerate(_COMPILED) if p.search(question)]
    feats.append(f"k:{read(question).kind}")
    if read(question).one_voice:
        feats.append("one_voice")
    return feats


def fit(xs: list[list[str]], ys: list[str], labels: list[str], l2: float) -> tuple:
    vocab = {f: i for i, f in enumerate(sorted({f for x in xs for f in x}))}
    x = np.zeros((len(xs), len(vocab) + 1))
    for r, fs in enumerate(xs):
        for f in fs:
            x[r, vocab[f]] = 1.0
    x[:, -1] = 1.0  # bias
    y = np.zeros((len(ys), len(labels)))
    for r, label in enumerate(ys):
        y[r, labels.index(label)] = 1.0
    w = np.zeros((x.shape[1], len(labels)))
    for _ in range(600):  # gradient descent on the mean cross-entropy
        z = x @ w
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        grad = x.T @ (p - y) / len(xs) + l2 * w
        w -= 1.0 * grad
    return vocab, w


def predict(model: tuple, labels: list[str], question: str) -> str:
    vocab, w = model
    z = w[-1].copy()
    for f in set(features(question)):
        if f in vocab:
            z += w[vocab[f]]
    return labels[int(np.argmax(z))]


def main() -> None:
    second = {r["id"]: r for r in rows("shapes_second_reader.jsonl")}
    data = {part: rows(name) for part, name in FILES}
    agreed = "--agreed" in sys.argv
    kinds, shapes = list(ASKS), ["fact", "broad"]
    print("file        n   cue table: kind  shape   learned: kind  shape   (l2)")
    for l2 in (0.001, 0.003, 0.01):
        for part, test in data.items():
            train = [r for p, rs in data.items() if p != part for r in rs]
            if agreed:
                train = [
                    r
                    for r in train
                    if second[r["id"]]["shape"] == r["shape"]
                    and second[r["id"]]["asks"] == r["asks"]
                ]
            xs = [features(r["question"]) for r in train]
            kind_model = fit(xs, [r["asks"] for r in train], kinds, l2)
            shape_model = fit(xs, [r["shape"] for r in train], shapes, l2)
            n = len(test)
            cue_kind = sum(read(r["question"]).kind == r["asks"] for r in test) / n
            cue_shape = sum(read(r["question"]).shape == r["shape"] for r in test) / n
            kind = sum(predict(kind_model, kinds, r["question"]) == r["asks"] for r in test) / n
            shape = sum(predict(shape_model, shapes, r["question"]) == r["shape"] for r in test)
            print(
                f"{part:9} {n:4}   {cue_kind:15.3f}  {cue_shape:5.3f}   "
                f"{kind:13.3f}  {shape / n:5.3f}   ({l2})"
            )
    xs = [features(r["question"]) for rs in data.values() for r in rs]
    ys = [r["shape"] for rs in data.values() for r in rs]
    shape_model = fit(xs, ys, shapes, 0.003)
    print("answer-set questions     n   cue table shape   learned shape")
    for name, paths, want in BY_FILE:
        items = [r for path in paths for r in rows_of(path)]
        cue = sum(read(r["question"]).shape == want for r in items) / len(items)
        learned = sum(predict(shape_model, shapes, r["question"]) == want for r in items)
        print(f"{name:20} {len(items):4}   {cue:15.3f}   {learned / len(items):13.3f}")
    flags = " --agreed" * agreed + " --form" * FORM
    print("command: .venv/bin/python bench/tuning/learned_reader.py" + flags)


if __name__ == "__main__":
    main()
