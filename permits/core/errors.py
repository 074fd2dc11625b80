"""The domain errors services raise; config/exceptions.py maps them to HTTP in one place."""


class DomainError(Exception):
    """Base of the errors services raise; mapped to HTTP in one place."""


class TransitionNotAllowed(DomainError):
    """The lifecycle does not allow this move (HTTP 409)."""

    def __init__(self, message):
        super().__init__(message)
        self.detail = message


class InvalidInput(DomainError):
    """Input that breaks a rule (HTTP 400); ``errors`` maps field -> messages."""

    def __init__(self, errors):
        self.errors = {key: list(value) if isinstance(value, (list, tuple)) else [value]
                       for key, value in errors.items()}
        # Messages may be nested (one dict of errors per item of a list).
        super().__init__("; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in self.errors.items()))


class NotStarted(Exception):
    """The permit did not exist yet on the date asked about (HTTP 404)."""
