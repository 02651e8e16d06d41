"""Every key the app answers to, in one list: the help screen and the README are written from it."""

from __future__ import annotations

# (keys, what they do, where)
KEYS: list[tuple[str, str, str]] = [
    ("/", "Focus the search box (in the grid: find, see below)", "anywhere"),
    ("type", "Search as you type (debounced); a letter typed in the results list starts a search too", "search box"),
    ("↓ / Enter", "Move from the search box to the results", "search box"),
    ("1 2 3 4 5", "Jump to the search box, results, metadata, schema or grid", "browser"),
    (
        "↑ ↓ PgUp PgDn",
        "Move through results, fields or rows; ctrl+Home/End jump to the first/last row",
        "lists and grid",
    ),
    ("j k", "Down / up (vim style)", "lists and grid"),
    ("g / G", "First / last row", "lists and grid"),
    ("h l", "Left / right", "grid"),
    ("Home / End", "First / last column", "grid"),
    ("Enter / click", "Open the highlighted dataset (the grid takes the focus when its rows show)", "results"),
    ("Tab / Shift+Tab", "Next / previous pane", "anywhere"),
    ("z", "Zoom the focused pane to the whole screen (z again restores)", "browser"),
    ("[ / ]", "Sort by the cursor column, ascending / descending (on the portal when it can)", "grid"),
    ("f", "Filter rows: SPECIES ~ maple and DIAMETER > 30 (see below)", "grid"),
    ("/", "Find text in the loaded rows (any case); Esc closes the find", "grid"),
    ("n / N", "Next / previous match of the find", "grid"),
    ("+", "Load the next 1,000 rows", "grid"),
    ("L", "Load all rows (asks first above 100,000)", "grid"),
    ("C", "Choose and reorder columns", "grid"),
    ("Enter / space", "Open the full cell value (y copies it)", "grid"),
    ("shift+arrows", "Select a block of cells", "grid"),
    ("y / ctrl+c", "Copy the cell or selected block as TSV", "grid"),
    ("Y", "Copy the row as TSV, with a header line", "grid"),
    ("u", "Copy the API URL of the current query", "grid"),
    ("s", "Statistics of the cursor column (Stats tab)", "grid"),
    ("F", "Facets: value counts of the cursor column; Enter filters on a value", "grid"),
    ("m", "Map of the loaded or filtered rows (latitude/longitude, outlines), coloured by a column", "grid"),
    ("v", "Chart of the cursor column: histogram (numbers), top values (text) or time series (dates)", "grid, stats"),
    ("+ - arrows 0", "Zoom, pan and fit the map; more/fewer bins or bars; finer/coarser dates", "chart"),
    ("c / D", "Colour the map by the next column / switch between points and density", "map"),
    ("Enter", "Statistics of the field", "schema"),
    (
        "c",
        "Copy a citation of the dataset (publisher, title, portal, date, URL, licence; as `pdxtui cite`)",
        "metadata",
    ),
    ("Esc", "Cancel the running fetch; from the filter bar or the find, back to the grid", "anywhere"),
    ("ctrl+r", "Refresh the current view from the portal, bypassing the cache", "anywhere"),
    (
        "ctrl+e",
        "Export rows: loaded, filtered or the whole dataset, as CSV, TSV, JSON, NDJSON, Parquet, XLSX or GeoJSON",
        "browser",
    ),
    ("ctrl+t", "Draft a request (records, publication, API access, data quality) for the open dataset", "browser"),
    (
        "ctrl+n",
        "Requests: the last requests, totals per host today, 429s, waits and the rate limits each host sent",
        "anywhere",
    ),
    ("ctrl+g", "Guide: how Portland's open data works, who to ask for what", "browser"),
    ("ctrl+l", "Address lookup (PortlandMaps, needs an API key): property, assessor, zoning, permits", "browser"),
    ("ctrl+o", "Open a dataset (street trees, permits, ...) filtered to the rows near the address", "address lookup"),
    ("ctrl+e", "Export the permits of the address", "address lookup"),
    (
        "ctrl+f",
        "Freshness filter of the results: any, fresh, due or overdue, unknown (judged on the loaded hits)",
        "browser",
    ),
    (
        "ctrl+o",
        "The catalog shows search results, recent datasets or bookmarks (cycles; or click the row above the list)",
        "browser",
    ),
    (
        "b",
        "Bookmark the open dataset at once, or remove its bookmark (b again puts it back, note and all)",
        "dataset panes (metadata, schema, grid)",
    ),
    (
        "B",
        "Write or edit the note of a bookmark: of the open dataset, or of the entry highlighted in Recent or Bookmarks",
        "browser",
    ),
    (
        "delete / backspace",
        "Take the highlighted entry off the Recent or Bookmarks list (a bookmark: open it and b puts it back)",
        "recent and bookmarks lists",
    ),
    (
        "R",
        "Pick the resource (table) of a CKAN dataset, or a layer of an ArcGIS map service",
        "browser (in the results list, letters search)",
    ),
    (
        "w",
        "What changed since you last looked at the open dataset, in full: rows added, changed and removed (by id), "
        "fields, dates, notes",
        "browser",
    ),
    ("d", "The rows added and changed since your last look, in a grid of their own; d or Esc: back", "browser"),
    ("x", "Hide the strip above the grid that says what changed since your last look", "browser"),
    ("d", "Draft the request the open section describes", "guide"),
    ("F2 / ctrl+s", "Copy the letter (OSC 52) / save it to a file", "drafting"),
    ("F4 / F6", "Regenerate the letter from the form / quit and print it", "drafting"),
    (
        ": / ctrl+k",
        "SQL console: query the datasets opened in this run, joined and grouped (ctrl+k from a text box too)",
        "browser",
    ),
    ("F5 / ctrl+j / ctrl+enter", "Run the query (ctrl+enter where the terminal sends it)", "SQL console"),
    (
        "Tab",
        "Complete the table or column name before the cursor (several fit: their common start, all listed below)",
        "SQL editor",
    ),
    ("↑ / ↓", "In an empty editor: the queries run before on this portal, newest first", "SQL editor"),
    ("Enter", "Put the table's name in the query (an empty editor gets SELECT * FROM it LIMIT 100)", "SQL tables"),
    ("Esc", "Cancel the running query or loading; else back to the browser, as it was", "SQL console"),
    ("ctrl+b", "Back to the browser (the query and its result stay for next time)", "SQL console"),
    ("ctrl+e", "Export the result, its provenance record holding the SQL and the tables it read", "SQL console"),
    ("ctrl+p", "Command palette: find datasets by title or id, run commands (each shows its key)", "anywhere"),
    ("? / F1", "This help (F1 also from a text box)", "anywhere"),
    ("q / ctrl+q", "Quit", "anywhere (q not in text boxes)"),
]


#: Keys inside dialogs, which show them on screen themselves, and aliases: in the README, not on the help screen.
DIALOG_KEYS: list[tuple[str, str, str]] = [
    ("y / n", "Answer yes / no (Esc is no)", "questions"),
    ("ctrl+↑ / ctrl+↓", "Move the highlighted column up / down", "column picker"),
    ("K / J", "Move the highlighted column up / down", "column picker"),
    ("a / n", "Show all columns / none", "column picker"),
    ("Enter / Esc", "Apply / cancel", "column picker"),
    ("Tab", "Complete the folder name", "export dialog"),
    ("ctrl+s", "Export", "export dialog"),
    ("Enter / ctrl+s", "Save your details (Esc cancels)", "your details (drafting)"),
    ("=", "Same as + (zoom in, more bins or bars, finer dates)", "chart"),
    ("l / r", "Load every row first / run on the rows loaded (Esc: neither)", "SQL: tables not all loaded"),
]


def markdown_table(keys: list[tuple[str, str, str]] = KEYS) -> str:
    """Keys as a README Markdown table (tests check the README carries exactly this, for KEYS and DIALOG_KEYS)."""
    lines = ["| Key | Action | Where |", "|---|---|---|"]
    lines += [f"| `{key}` | {action} | {where} |" for key, action, where in keys]
    return "\n".join(lines)


#: The filter language in brief, for the help screen.
FILTER_HELP = """\
Filters: COLUMN OP VALUE, joined with and / or, grouped with ( ), negated with not.
  OP is = != > >= < <= ~ (contains, any case) !~ (does not contain); also COLUMN is null / is not null.
  Quote values with spaces: COMMON = 'Giant sequoia'. Dates: DATE_DESIG >= 2010-01-01.
  Examples: SPECIES ~ maple · DIAMETER > 30 · Condition = Good · NOTES is not null"""
