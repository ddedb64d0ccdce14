"""One error hierarchy for gridmap.

Every error knows the HTTP status it maps to and carries a message meant for a person, in
Chinese. The web layer renders it as JSON for the API and as a page for a browser; the command
line prints the message and exits non-zero. Nothing else needs to translate exceptions.
"""

from __future__ import annotations


class GridmapError(Exception):
    status = 500
    code = "internal"

    def __init__(self, message: str, *, details: object | None = None):
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict:
        body = {"error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class BadInput(GridmapError):
    """The caller sent something we cannot accept (wrong coordinates, unknown kind, …)."""

    status = 400
    code = "bad_input"


class OutsideStreet(BadInput):
    """A point that no grid of the street covers."""

    code = "outside_street"


class NotFound(GridmapError):
    status = 404
    code = "not_found"


class Conflict(GridmapError):
    """The request contradicts the state of the data (e.g. overlapping division periods)."""

    status = 409
    code = "conflict"


class ConfigError(GridmapError):
    code = "config"


class DatabaseUnavailable(GridmapError):
    """No database to talk to: not installed, not running, unreachable, or PostGIS missing."""

    status = 503
    code = "database_unavailable"


class SignInRequired(GridmapError):
    """No one is signed in (or the session has ended)."""

    status = 401
    code = "sign_in_required"


class Forbidden(GridmapError):
    """Signed in, but this is not theirs to see or do."""

    status = 403
    code = "forbidden"
