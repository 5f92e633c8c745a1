"""User-facing errors: one line that names the problem and the fix.

Every error a user can cause is raised as an ``AgentError``; the CLI prints its
message on one line and exits with its status, never with a traceback.
"""

from __future__ import annotations


class AgentError(Exception):
    """A problem the user can fix; ``str(err)`` is the one-line message."""

    exit_code: int = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ModelReplyError(AgentError):
    """A model reply that did not parse or did not match the repository."""


class UnchangedReply(ModelReplyError):
    """A reply that parsed but writes the files back as they were shown. Asked again at the same
    sampling, the 1.5B wrote them back again (3 replies of 3, in 5 of 12 follow-up stages over
    20 tasks), so it is not asked again: the stage's next candidate is a new draw."""


class ReplyCutOff(ModelReplyError):
    """A reply that hit its token limit; ``partial`` is what the model wrote until then."""

    def __init__(self, message: str, partial: str) -> None:
        super().__init__(message)
        self.partial = partial
