"""Prompt texts are package data (the top-level `prompts` package, `prompts/*.md|txt`), so
they are found wherever policybot is installed; a setting may point any of them elsewhere."""

from __future__ import annotations

import importlib.resources

from index.errors import UsageError
from index.settings import Settings

PROMPT_FILES = {
    "system": "system.md",
    "question": "question.md",
    "condense": "condense.md",
    "refusal": "refusal.txt",
}


def load_prompt(settings: Settings, name: str) -> str:
    """The text of prompt `name`: PROMPT_<NAME>_FILE, else POLICYBOT_PROMPTS/<file>, else the
    packaged copy."""
    override = settings.prompt_overrides.get(name)
    if override is None and settings.prompts_dir is not None:
        override = settings.prompts_dir / PROMPT_FILES[name]
    if override is not None:
        try:
            return override.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise UsageError(f"can't read the {name} prompt at {override}: {e.strerror}") from None
    packaged = importlib.resources.files("prompts").joinpath(PROMPT_FILES[name])
    try:
        return packaged.read_text(encoding="utf-8").strip()
    except OSError as e:  # a broken install: the package data is missing
        raise UsageError(
            f"the packaged {name} prompt is missing ({packaged}: {e.strerror}); reinstall policybot"
        ) from None
