"""Errors a user can understand.

Every failure caused by input, state or the environment is raised as a ModelyardError whose
message is one sentence that says what went wrong and, where possible, what to do next. The GUI
shows the message without a stack trace; the CLI prints it to stderr and exits non-zero.
"""


class ModelyardError(Exception):
    """A failure with a message meant for the user."""


class NotFoundError(ModelyardError):
    """Something the user named does not exist."""


class InvalidInputError(ModelyardError):
    """A file, a value or an option the user gave cannot be used."""


class StoreError(ModelyardError):
    """The local store could not be read or written."""


class CancelledError(ModelyardError):
    """The user cancelled a long task; nothing was written."""
