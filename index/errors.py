"""Typed errors of the knowledge base, so callers can tell bad input from faults."""


class PolicybotError(Exception):
    """Base class: the message is a short sentence fit to show a user."""


class UsageError(PolicybotError):
    """The caller's input is unusable (empty or over-long question, bad option)."""


class SourceError(PolicybotError):
    """A source file can't be read; the refresh skips it and reports why."""


class SourcesUnavailable(PolicybotError):
    """The sources folder is missing or can't be listed. A refresh that went on would take
    every document out of the index, so it fails instead and the index is unchanged."""


class IndexNotReady(PolicybotError):
    """There is no complete index to answer from yet."""


class StoreUnavailable(PolicybotError):
    """The Chroma store (embedded or server) can't be reached or opened."""


class RefreshInProgress(PolicybotError):
    """Another refresh holds the lock."""


class PublishConflict(RefreshInProgress):
    """Another process published a new generation while this refresh built its own. This one
    is not published (it would undo the other); the next refresh starts from the winner."""


class ModelUnavailable(PolicybotError):
    """The embedding model files are missing or fail their checksum."""
