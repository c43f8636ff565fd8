"""Errors the storage layer raises; messages never contain what people wrote."""

from __future__ import annotations


class StorageError(RuntimeError):
    """The database cannot be used; the message says what is wrong and how to fix it."""


class CorruptRowError(StorageError):
    """A stored row cannot be read back (bad JSON, unknown value); the content is not logged."""
