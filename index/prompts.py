"""Prompt texts are package data (the top-level `prompts` package, `prompts/*.md|txt`), so
they are found wherever policybot is installed; a setting may point any of them elsewhere."""

from __future__ import annotations

import importlib.resources

from index.errors import PolicybotError, UsageError
from index.settings import Settings

PROMPT_FILES = {
    "system": "system.md",
    "question": "question.md",
    "condense": "condense.md",
    "refusal": "refusal.txt",
    "verify": "verify.md",  # LLM_VERIFY=model: the claims the checker couldn't decide
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
    try:
        packaged = importlib.resources.files("prompts").joinpath(PROMPT_FILES[name])
        return packaged.read_text(encoding="utf-8").strip()
    except (ModuleNotFoundError, OSError):  # a broken install, or an editable one made
        # before prompts/ was a package: a fault of the installation, not of the input
        raise PolicybotError(
            f"the packaged {name} prompt ({PROMPT_FILES[name]}) is not installed; reinstall "
            "policybot (in a checkout: pip install -e .)"
        ) from None
