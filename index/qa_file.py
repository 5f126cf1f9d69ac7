"""Reading a question file (JSON Lines, one question per line) into `QAItem`s, or a
UsageError naming the bad line. The format is described in index/evaluation.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import UsageError


@dataclass(frozen=True)
class QAItem:
    """One question of a QA file."""

    id: str
    question: str
    answerable: bool
    gold_quotes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()  # a broad question's sides (see module doc)

    @property
    def broad(self) -> bool:
        return bool(self.groups)


def _strings(value: Any, name: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UsageError(f"{where}: '{name}' must be a list of non-empty strings")
    return tuple(value)


def _item(obj: Any, where: str) -> QAItem:
    if not isinstance(obj, dict):
        raise UsageError(f"{where}: expected a JSON object")
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        raise UsageError(f"{where}: 'question' must be a non-empty string")
    qid = obj.get("id", where)
    if not isinstance(qid, (str, int)):
        raise UsageError(f"{where}: 'id' must be a string")
    if "groups" in obj:
        groups = obj["groups"]
        if not isinstance(groups, list) or not groups:
            raise UsageError(f"{where}: 'groups' must be a non-empty list of lists of quotes")
        parsed = tuple(_strings(g, "groups", where) for g in groups)
        if not all(parsed):
            raise UsageError(f"{where}: every group in 'groups' needs at least one quote")
        if obj.get("answerable", True) is not True:
            raise UsageError(f"{where}: a question with 'groups' is answerable")
        return QAItem(str(qid), question, True, groups=parsed)
    answerable = obj.get("answerable")
    if not isinstance(answerable, bool):
        raise UsageError(f"{where}: 'answerable' must be true or false")
    gold = _strings(obj.get("gold_quotes"), "gold_quotes", where)
    if answerable and not gold:
        raise UsageError(f"{where}: an answerable question needs 'gold_quotes'")
    keywords = _strings(obj.get("keywords"), "keywords", where)
    return QAItem(str(qid), question, answerable, gold, keywords)


def load_qa(path: Path) -> list[QAItem]:
    """Read a QA file, or raise UsageError with a one-line reason (naming a bad line)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"the QA file {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or type(e).__name__
        raise UsageError(f"can't read the QA file {path}: {reason}") from None
    items: list[QAItem] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise UsageError(f"{where}: not valid JSON ({e.msg})") from None
        item = _item(obj, where)
        if item.id in seen:
            raise UsageError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise UsageError(f"the QA file {path} holds no questions")
    return items
