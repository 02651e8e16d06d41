"""PortlandMaps API client (address suggestions and property details; needs an API key).

Plain Python, no Textual: the CLI (``pdxtui address``, ``pdxtui property``) and the address screen both use it.

* ``suggest(query, count, page)`` calls ``/api/suggest/`` and returns :class:`Candidate` objects. The response is
  ``{"candidates": [{"address", "attributes": {..., "lat", "lon", "zip_code"}, "location": {"x", "y"}}]}``; when
  there is a single candidate its address carries ", CITY", which is moved into ``Candidate.city``.
* ``detail(detail_type, detail_id)`` calls ``/api/detail/?detail_type=property|assessor|zoning|permit&sections=*``
  and returns a :class:`Detail`: one :class:`Section` per part of the answer, as key-value pairs or as rows.
* A body with ``status: "error"`` becomes one readable :class:`PortalError` line.

The key is sent as the ``api_key`` query parameter. It never enters the cache key (pdxtui.cache drops secret
parameters), and it is scrubbed from error messages and from the log records of httpx and pdxtui.net.

Requests go through :class:`pdxtui.net.Fetcher` (retries, cache with a long TTL: answers rarely change), after a
:class:`RateLimiter` (by default 200 requests per 15 minutes, as reported by third-party code; unconfirmed). A 429
answer with ``X-Rate-Limit-Reset`` makes the client wait until that time (at most ``max_reset_wait`` seconds, saying
so through ``on_wait``), then try again; a later reset fails at once with a message saying when to try again.
"""

from pdxtui.portlandmaps.client import (
    DEFAULT_RATE,
    DEFAULT_URL,
    DETAIL_TYPES,
    ENV_KEY,
    ENV_URL,
    KEY_URL,
    MAX_PAGE,
    MAX_RESET_WAIT,
    PORTAL_NAME,
    RATE_STATE_FILE,
    TTL,
    MissingKey,
    PortlandMaps,
    Settings,
    open_client,
    rate_state_path,
)
from pdxtui.portlandmaps.models import Candidate, Detail, Section, SuggestPage, candidate, error_message, sections_of
from pdxtui.portlandmaps.ratelimit import RateLimiter, WaitCallback, describe_rate, parse_rate, parse_reset

__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_URL",
    "DETAIL_TYPES",
    "ENV_KEY",
    "ENV_URL",
    "KEY_URL",
    "MAX_PAGE",
    "MAX_RESET_WAIT",
    "PORTAL_NAME",
    "RATE_STATE_FILE",
    "TTL",
    "Candidate",
    "Detail",
    "MissingKey",
    "PortlandMaps",
    "RateLimiter",
    "Section",
    "Settings",
    "SuggestPage",
    "WaitCallback",
    "candidate",
    "describe_rate",
    "error_message",
    "open_client",
    "parse_rate",
    "parse_reset",
    "rate_state_path",
    "sections_of",
]
