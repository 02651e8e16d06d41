"""A draft as plain text (:func:`render`) or as JSON (:func:`to_json`)."""

from __future__ import annotations

from typing import Any

from pdxtui.drafting.model import Draft
from pdxtui.guide import Recipient

# -- output -----------------------------------------------------------------------------------------------------


def recipient_lines(r: Recipient) -> list[str]:
    """A recipient as text lines: label and how, the address (or that none is known), the note."""
    lines = [f"{r.label} - {r.how}"]
    if r.address:
        flag = "" if r.confirmed or "unconfirmed" in r.note else "  (unconfirmed, may have moved)"
        lines.append(f"  {r.address}{flag}")
    else:
        lines.append("  (no address known to pdxtui)")
    if r.note:
        lines.append(f"  {r.note}")
    return lines


def render(d: Draft) -> str:
    """The whole draft as plain text: subject, letter, where to send it, and notes for the sender."""
    out = [f"Subject: {d.subject}", "", d.body, "", "-" * 24, "Send to:"]
    for number, r in enumerate(d.send_to, 1):
        first, *rest = recipient_lines(r)
        out.append(f"{number}. {first}")
        out.extend(f" {line}" for line in rest)
    if d.notes:
        out += ["", "Before you send:"]
        out.extend(f"- {note}" for note in d.notes)
    return "\n".join(out) + "\n"


def recipient_json(r: Recipient) -> dict[str, Any]:
    return {"label": r.label, "how": r.how, "address": r.address, "note": r.note, "confirmed": r.confirmed}


def to_json(d: Draft) -> dict[str, Any]:
    """``{kind, subject, body, send_to: [{label, how, address, note, confirmed}], placeholders, notes}``."""
    return {
        "kind": d.kind,
        "subject": d.subject,
        "body": d.body,
        "send_to": [recipient_json(r) for r in d.send_to],
        "placeholders": list(d.placeholders),
        "notes": list(d.notes),
    }
