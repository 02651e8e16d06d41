"""Every key the app answers to, in one list: the help screen and the README are written from it."""

from __future__ import annotations

# (keys, what they do, where)
KEYS: list[tuple[str, str, str]] = [
    ("/", "Focus the search box", "anywhere"),
    ("type", "Search as you type (debounced)", "search box"),
    ("↓ / Enter", "Move from the search box to the results", "search box"),
    ("↑ ↓ PgUp PgDn", "Move through results, fields or rows", "lists and grid"),
    ("Enter / click", "Open the highlighted dataset", "results"),
    ("Tab / Shift+Tab", "Next / previous pane", "anywhere"),
    ("Esc", "Cancel the running fetch", "anywhere"),
    ("ctrl+r", "Refresh the current view from the portal, bypassing the cache", "anywhere"),
    ("ctrl+p", "Command palette: find datasets by title or id, run commands", "anywhere"),
    ("? / F1", "This help", "anywhere"),
    ("q / ctrl+q", "Quit", "anywhere (q not in text boxes)"),
]


def markdown_table() -> str:
    """The keys as the README's Markdown table (tests check the README carries exactly this)."""
    lines = ["| Key | Action | Where |", "|---|---|---|"]
    lines += [f"| `{key}` | {action} | {where} |" for key, action, where in KEYS]
    return "\n".join(lines)
