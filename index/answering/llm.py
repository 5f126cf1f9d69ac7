"""The language model behind generative answers, built from settings through llama-index.

`LLM_PROVIDER=openai` is any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp's server,
LM Studio) through `OpenAILike`; `ollama` is an Ollama server. Every call has a timeout and
is not retried: a failed call costs one timeout at most, and the caller falls back to the
extractive answer. The API key is passed to the client and nowhere else: never logged,
never in a note, never in an error message."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from index.errors import UsageError
from index.settings import Settings

log = logging.getLogger(__name__)

OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"
OLLAMA_DEFAULT_BASE = "http://localhost:11434"
CONTEXT_WINDOW = 8192  # what the prompt (5-6 passages, the question, history) fits in
NO_KEY = "no-key"  # local servers need none; a placeholder keeps OPENAI_API_KEY out of it


def make_llm(settings: Settings) -> Any:
    """The llama-index LLM for `settings.llm_provider`; None for `none`.

    Raises UsageError for a configuration that can't work (no model named)."""
    provider = settings.llm_provider
    if provider == "none":
        return None
    if not settings.llm_model:
        raise UsageError(f"LLM_MODEL must name the model to use with LLM_PROVIDER={provider}")
    if settings.llm_timeout <= 0:
        raise UsageError("LLM_TIMEOUT must be a positive number of seconds")
    _check_base_url(settings.llm_base_url, provider)
    if provider == "openai":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=settings.llm_model,
            # Explicit, so neither OPENAI_BASE_URL nor OPENAI_API_KEY from the environment
            # is picked up behind the settings' back (and a local server never receives
            # someone's OpenAI key).
            api_base=settings.llm_base_url or OPENAI_DEFAULT_BASE,
            api_key=settings.llm_api_key.get_secret_value() or NO_KEY,
            is_chat_model=True,
            is_function_calling_model=False,
            context_window=CONTEXT_WINDOW,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout,
            max_retries=0,
        )
    if provider == "ollama":
        from llama_index.llms.ollama import Ollama

        headers = {}
        if key := settings.llm_api_key.get_secret_value():  # an Ollama behind a proxy
            headers["Authorization"] = f"Bearer {key}"
        return Ollama(
            model=settings.llm_model,
            base_url=settings.llm_base_url or OLLAMA_DEFAULT_BASE,
            request_timeout=settings.llm_timeout,
            temperature=settings.llm_temperature,
            context_window=CONTEXT_WINDOW,  # else it asks the server at the first call
            additional_kwargs={"num_predict": settings.llm_max_tokens},
            headers=headers,
        )
    raise UsageError(f"LLM_PROVIDER must be none, openai or ollama, got {provider!r}")


def _check_base_url(url: str | None, provider: str) -> None:
    """A URL no model can be reached at ("localhost:8080/v1": no scheme) is a setting to fix,
    said at start-up, not "could not be reached" on every answer. Ollama's own clients take
    an address without its scheme. The URL isn't repeated: it may hold a user and password."""
    if not url:
        return
    if provider == "ollama" and "://" not in url:
        url = f"http://{url}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that isn't a number raises ValueError here
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            "LLM_BASE_URL must be an http:// or https:// address, such as "
            + ("http://127.0.0.1:8080/v1" if provider == "openai" else OLLAMA_DEFAULT_BASE)
        )


def describe_failure(error: BaseException, timeout: float) -> str:
    """A short, key-free sentence saying what went wrong with the model, for the user."""
    import httpx

    name = type(error).__name__
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return f"the language model returned an error (HTTP {status})"
    if isinstance(error, TimeoutError | httpx.TimeoutException) or "Timeout" in name:
        return f"the language model did not answer within {timeout:g} s"
    if isinstance(error, ConnectionError | httpx.TransportError) or "Connection" in name:
        return "the language model could not be reached"
    return "the language model's reply could not be read"


def redact(text: str, settings: Settings) -> str:
    """`text` with the API key blanked out, for logs."""
    key = settings.llm_api_key.get_secret_value()
    return text.replace(key, "***") if key else text
