"""Errors a user can act on. Each class has its own exit status so scripts can tell them apart;
the CLI prints one line (no traceback unless --debug) and exits with it.

Besides the classes below, the CLI exits with OS_ERROR_EXIT when the operating system refuses a
read or write (permissions, a full disk), INTERNAL_ERROR_EXIT when the pipeline itself fails (a
bug), and INTERRUPTED_EXIT on Ctrl-C."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class: a problem with the user's input or data, reported as one line."""

    exit_code = 1


class UsageError(PipelineError):
    """Bad command-line arguments or notebook parameters."""

    exit_code = 2


class InputNotFound(PipelineError):
    """The path does not exist or is not a regular file."""

    exit_code = 3


class UnreadableDocument(PipelineError):
    """The file is empty, binary, or its bytes decode as no text in any encoding we accept."""

    exit_code = 4


class SourceMetadataError(PipelineError):
    """source.yaml is missing, malformed, or does not match the raw file (sha256)."""

    exit_code = 5


class DataCheckError(PipelineError):
    """An output failed a sanity check before it was written."""

    exit_code = 6


class NotebookFailed(PipelineError):
    """A notebook raised while papermill executed it; the executed copy is kept for inspection."""

    exit_code = 7


OS_ERROR_EXIT = 8
INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE in sysexits.h
INTERRUPTED_EXIT = 130  # 128 + SIGINT, as shells report it
