"""Request drafting: pure functions from (kind, dataset, requester profile, user fields) to a letter.

Four kinds of request (:data:`DRAFT_KINDS`):

* ``records`` - a public records request under the Oregon Public Records Law (ORS 192.311 to 192.478).
* ``publish`` - a request to publish a dataset, or add fields to one, to the owning bureau or the open-data
  program (Smart City PDX, Bureau of Planning & Sustainability).
* ``access`` - an API access, rate-limit or failing-endpoint question to the Bureau of Technology Services.
* ``quality`` - a data quality report to the owning bureau.

Use::

    inp = DraftInput("records", dataset=ds, requester=config.requester, fields=("NAME",),
                     date_from="2023-01-01", date_to="2023-12-31", filter_text=filters.describe(node))
    d = draft(inp, today=date.today(), secrets=[token])
    d.subject, d.body, d.send_to, d.placeholders, d.notes
    render(d)       # subject + letter + "send to" block + notes, as one plain text
    to_json(d)      # {kind, subject, body, send_to: [...], placeholders: [...], notes: [...]}

:data:`FORM_FIELDS` lists, per kind, the :class:`DraftInput` fields a form should offer (name, label, type,
choices, help) so a UI can build the form generically; :func:`input_from_form` turns the widget values back
into a :class:`DraftInput`. The dataset, requester and ``filter_text`` are prefilled by the caller, not typed.

Rules the letters follow:

* Nothing is invented. A missing requester name or e-mail becomes a placeholder (``[your name]``,
  ``[your email]``); phone, organisation and postal address are left out when empty. Other missing essentials
  (the records wanted, a date range, a URL, what is wrong...) also become ``[bracketed]`` placeholders, and
  ``Draft.placeholders`` lists those still in the text, in order.
* No secret reaches the text: every string in ``secrets`` (4 characters or more, also percent-encoded) is
  replaced by ``[removed]``; URLs lose query (and fragment) parameters with secret-like names (token,
  app_token, api_key, key, apikey, access_token, password, secret, ...) and any ``user:password@``; in other
  text, ``token=...``, ``api_key: ...`` and ``Authorization: Bearer ...`` values become ``[removed]``.
* Portal-provided text (titles, owners, field names) passes through :mod:`pdxtui.textsafe`.
* Paragraphs are single lines (they paste cleanly into web forms); the reader wraps them.
* Deterministic: the date comes from the ``today`` argument.
"""

from __future__ import annotations

from pdxtui.drafting.letters import draft
from pdxtui.drafting.model import (
    CADENCES,
    DRAFT_KINDS,
    FORM_FIELDS,
    FORMATS,
    KIND_KEYS,
    TOPICS,
    USAGE_DAYS,
    DateRangeError,
    Draft,
    DraftInput,
    FormField,
    Kind,
    check,
    input_from_form,
    parse_date_range,
)
from pdxtui.drafting.render import render, to_json
from pdxtui.drafting.scrub import scrub, scrub_url
from pdxtui.guide import Recipient

__all__ = [
    "CADENCES",
    "DRAFT_KINDS",
    "FORMATS",
    "FORM_FIELDS",
    "KIND_KEYS",
    "TOPICS",
    "USAGE_DAYS",
    "DateRangeError",
    "Draft",
    "DraftInput",
    "FormField",
    "Kind",
    "Recipient",
    "check",
    "draft",
    "input_from_form",
    "parse_date_range",
    "render",
    "scrub",
    "scrub_url",
    "to_json",
]
