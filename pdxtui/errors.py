"""Exceptions shared by every layer. Messages are plain text meant for people."""

from __future__ import annotations


class PdxError(Exception):
    """Base class: anything that should reach the user as a one-line message."""


class UsageError(PdxError):
    """The user asked for something malformed (bad portal string, bad flag)."""


class NotFound(PdxError):
    """A dataset id that the portal does not know."""


class Unsupported(PdxError):
    """The portal cannot do this (an optional capability it does not have)."""


class PortalError(PdxError):
    """The portal answered, but with an error, or could not be reached."""

    def __init__(self, message: str, *, portal: str = "", offline: bool = False) -> None:
        super().__init__(message)
        self.portal = portal
        self.offline = offline


class NotCached(PortalError):
    """Asked for an answer from the cache only (:func:`pdxtui.cache.cache_only`) and the cache has none: no request
    was sent."""
