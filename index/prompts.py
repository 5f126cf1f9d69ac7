"""Prompt texts live in files under prompts/; a setting may point any of them elsewhere."""

from __future__ import annotations

from pathlib import Path

from index.errors import UsageError
from index.settings import Settings

PROMPT_FILES = {
    "system": "system.md",
    "question": "question.md",
    "condense": "condense.md",
    "refusal": "refusal.txt",
}


def load_prompt(settings: Settings, name: str) -> str:
    path: Path = settings.prompt_overrides.get(name) or settings.prompts_dir / PROMPT_FILES[name]
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise UsageError(f"can't read the {name} prompt at {path}: {e.strerror}") from None
