"""The error the ingest library raises for input a user can fix; its message is one line naming file, column and row."""

from __future__ import annotations


class IngestError(ValueError):
    """A problem with an uploaded file or a mapping that the user can act on; the message says what to do."""


class NotUtf8(IngestError):
    """DuckDB found bytes that are not UTF-8 in a file taken for UTF-8: the file must be decoded in Python."""
