"""Errors a user can act on. The CLI prints ``str(err)`` and exits with ``exit_code``."""

from __future__ import annotations


class SimgenError(Exception):
    """Base class for expected failures: bad input, missing files, corrupt data."""

    exit_code = 1


class SceneError(SimgenError):
    """A scene file or override is wrong. Each line of ``messages`` reads
    ``source: path.to.field: message`` where source is ``file:line`` or ``--set expr``."""

    exit_code = 2

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


class DatasetError(SimgenError):
    """A dataset directory is missing, inconsistent or of another format."""

    exit_code = 1
