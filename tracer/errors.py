"""Errors the user can act on. The CLI turns these into one line and exit code 2."""

from __future__ import annotations


class TracerError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None) -> None:
        self.message = message
        self.source = source
        self.key = key
        super().__init__(self.line())

    def line(self) -> str:
        """The one-line report: `file: key: message`, omitting the parts that are unknown."""
        parts = [p for p in (self.source, self.key) if p]
        return ": ".join([*parts, self.message])


class SpecError(TracerError):
    """The network spec is malformed or inconsistent."""


class NumericError(TracerError):
    """A quantity could not be computed as a finite number."""


class OutputError(TracerError):
    """An output file could not be written."""
