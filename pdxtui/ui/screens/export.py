"""Export dialog (ctrl+e): path, format (follows the extension), format options, scope, columns, provenance,
progress.

The writing itself is :mod:`pdxtui.export` (atomic, streaming); this screen only gathers the choices, asks before
replacing a file, runs the export in a worker with a progress bar and a cancel button, and reports the result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, RadioSet, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from pdxtui import export as ex
from pdxtui.errors import PdxError
from pdxtui.model import Dataset, Progress, Query, describe_near
from pdxtui.textout import fmt_count, human_bytes
from pdxtui.textsafe import one_line
from pdxtui.ui.feedback import error_text
from pdxtui.ui.footer import KeysFooter
from pdxtui.ui.safe import plain
from pdxtui.ui.widgets.toggles import ChoiceButton, TickBox, TickList

SCOPES = ("loaded", "filtered", "dataset")


@dataclass(frozen=True)
class ExportRequest:
    """What the browser hands the dialog: the dataset, its loaded rows and the current query and columns."""

    dataset: Dataset
    service: Any
    frame: Any  # the loaded rows (polars), all columns
    query: Query  # the current filter and order
    total: int | None  # rows matching the current filter
    columns: tuple[str, ...]  # the grid's visible columns, in order
    local_where: str | None = None  # a filter the grid applied to the loaded rows only
    source: Any = None  # where the rows came from, when not from ``service`` (pdxtui.provenance.Source)
    read_at: Any = None  # when the loaded rows were read (a UTC datetime; None: not known, the export's time)

    @classmethod
    def from_pane(cls, pane: Any, **given: Any) -> ExportRequest:
        """The rows a preview pane shows (its preview, service, visible columns and own filter); ``given``
        overrides (a SQL result's ``source`` and ``read_at``)."""
        preview = pane.preview
        facts: dict[str, Any] = {
            "dataset": preview.dataset,
            "service": pane.service,
            "frame": preview.frame,
            "query": preview.query,
            "total": preview.total,
            "columns": tuple(pane.visible_columns()),
            "local_where": pane.local_where,
            "read_at": preview.read_at,
        }
        return cls(**{**facts, **given})


def replace_question(existing: list[str], provenance: bool) -> tuple[str, str] | None:
    """The one question asked before an export replaces files (``existing``: ``pdxtui.export.in_the_way``, the
    file and/or its sidecar): (question, detail), or None when nothing is in the way. A sidecar left beside the
    name belongs to the new file: replaced by its record, or (``provenance`` off) removed with the export."""
    if not existing:
        return None
    from pdxtui.provenance import SIDECAR_SUFFIX

    files = [p for p in existing if not p.endswith(SIDECAR_SUFFIX)]
    sidecars = [p for p in existing if p.endswith(SIDECAR_SUFFIX)]
    keep = "The old files stay untouched until the new export is complete."
    if not sidecars:
        return f"{files[0]} exists. Replace it?", keep.replace("files stay", "file stays")
    record = sidecars[0]
    if not provenance:
        what = f"{files[0]} and its provenance record {record} exist" if files else f"{record} exists"
        return (
            f"{what}. Replace the file and remove the record?",
            f"The record describes an earlier export to this name; this one is written without provenance. {keep}",
        )
    if files:
        return f"{files[0]} and its provenance record {record} exist. Replace both?", keep
    return (
        f"{record} exists (the provenance record of an earlier export to this name). Replace it?",
        f"It is replaced by this export's record. {keep}",
    )


def complete_path(text: str) -> str:
    """Tab completion: extend ``text`` to the longest common prefix of the folders (and files) it could name."""
    path = Path(os.path.expanduser(text or "."))
    folder, stem = (path, "") if text.endswith(os.sep) or not text else (path.parent, path.name)
    try:
        names = sorted(
            p.name + (os.sep if p.is_dir() else "")
            for p in folder.iterdir()
            if p.name.startswith(stem) and not p.name.startswith(".")
        )
    except OSError:
        return text
    if not names:
        return text
    common = os.path.commonprefix(names)  # noqa: RUF071  # a prefix of names, character by character, is meant
    prefix = text[: len(text) - len(stem)] if stem else (text if text.endswith(os.sep) or not text else text + os.sep)
    return prefix + common if len(common) > len(stem) else text


class PathInput(Input):
    BINDINGS = [Binding("tab", "complete", "Complete folder", show=False)]

    def action_complete(self) -> None:
        completed = complete_path(self.value)
        if completed != self.value:
            self.value = completed
            self.cursor_position = len(completed)
        else:
            self.screen.focus_next()


class ExportScreen(ModalScreen[ex.ExportResult | None]):
    """Remembers the last folder, format and scope (``state_file``, see :mod:`pdxtui.state`) for the next export:
    the scope twice, for exports with a filter on and for those without."""

    CSS_PATH = "export.tcss"
    # the dialog's own breakpoints, whatever the app's: below 100 columns one scrolling column, else two columns
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    BINDINGS = [
        Binding("escape", "cancel", "Cancel / close"),
        Binding("ctrl+s", "export", "Export", priority=True),
    ]

    def __init__(
        self, request: ExportRequest, *, cwd: str | None = None, state_file: str | os.PathLike[str] | None = ""
    ) -> None:
        """``state_file``: where the last choices are kept ("" the user's state folder; None: remember nothing)."""
        super().__init__()
        from pdxtui.state import load_state, state_path

        self.request = request
        self.cwd = cwd or os.getcwd()
        self.running = False
        self.state_file = state_path("export") if state_file == "" else state_file
        self.remembered = load_state(self.state_file)
        self.local_frame = self._local_frame()  # the loaded rows the grid's own filter keeps (all, without one)

    def _local_frame(self) -> Any:
        req = self.request
        if not req.local_where:
            return req.frame
        from pdxtui.filters import parse, to_polars

        node = parse(req.local_where, req.dataset.fields)
        return req.frame.filter(to_polars(node, req.frame.schema)) if node is not None else req.frame

    @property
    def filtered(self) -> bool:
        req = self.request
        return bool(req.query.where or req.local_where or req.query.near)

    def _remembered(self, key: str, allowed) -> str | None:
        value = self.remembered.get(key)
        return value if isinstance(value, str) and value in allowed else None

    def default_scope(self) -> str:
        """With a filter on, all rows matching it (unless the last export with a filter chose otherwise); without one,
        the loaded rows (unless the last export without a filter took the whole dataset)."""
        if self.filtered:
            return self._remembered("scope_filtered", SCOPES) or "filtered"
        return self._remembered("scope", ("loaded", "dataset")) or "loaded"

    def default_format(self, scope: str) -> str:
        fmt = self._remembered("format", ex.FORMATS) or "csv"
        names = [f.name for f in self.request.dataset.fields] or list(self.request.frame.columns)
        if ex.format_problem(fmt, self.request.dataset, names, self._rows(scope)) is not None:
            return "csv"  # e.g. GeoJSON last time, and this dataset has no points
        return fmt

    def default_path(self, fmt: str) -> str:
        folder = self.remembered.get("folder")
        if not (isinstance(folder, str) and folder and os.path.isdir(folder)):
            folder = self.cwd
        return os.path.join(folder, ex.suggested_filename(self.request.dataset, fmt))

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        req = self.request
        scope = self.default_scope()
        fmt = self.default_format(scope)
        with Vertical(id="export-dialog"):
            yield Static(Text(f"Export {one_line(req.dataset.title, 80)}"), id="export-title")
            with Horizontal(id="export-body"):
                with VerticalScroll(id="export-left"):
                    yield Label("File (Tab completes folders; the extension picks the format)")
                    yield PathInput(value=self.default_path(fmt), id="path", compact=True)
                    yield Static("", id="path-note")
                    with Horizontal(id="format-row", classes="row"):
                        yield Static("Format", classes="field")
                        yield Select(
                            [(Text(f.label), f.name) for f in ex.FORMATS.values()],
                            value=fmt,
                            allow_blank=False,
                            id="format",
                            compact=True,
                        )
                    yield Static("", id="format-note")
                    with Vertical(id="options"):
                        with Horizontal(id="opt-csv", classes="row"):
                            yield Static("Delimiter", classes="field")
                            yield Input(value=",", id="delimiter", max_length=1, tooltip="Delimiter", compact=True)
                            yield TickBox("Header row", True, id="header", compact=True)
                        with Horizontal(id="opt-csv-2", classes="row"):
                            yield Static("Quoting", classes="field")
                            yield Select(
                                [(q, q) for q in ex.QUOTE_STYLES],
                                value="necessary",
                                allow_blank=False,
                                id="quote",
                                compact=True,
                            )
                            yield Static("Empty values as", classes="field")
                            yield Input(value="", placeholder="(nothing)", id="null", compact=True)
                        with Horizontal(id="opt-parquet", classes="row"):
                            yield Static("Compression", classes="field")
                            yield Select(
                                [(c, c) for c in ex.COMPRESSIONS],
                                value="zstd",
                                allow_blank=False,
                                id="compression",
                                compact=True,
                            )
                        with Horizontal(id="opt-json", classes="row"):
                            yield TickBox("Pretty (indented)", False, id="pretty", compact=True)
                    yield Label("Rows")
                    with RadioSet(id="scope", compact=True):
                        for key, label in self.scopes():
                            yield ChoiceButton(label, value=key == scope, id=f"scope-{key}")
                    yield TickBox(
                        "Provenance: where the rows came from (.provenance.json)",
                        True,  # every export writes its provenance unless turned off for this one (never remembered)
                        id="provenance",
                        compact=True,
                    )
                with Vertical(id="export-right"):
                    yield Label("Columns (space toggles)")
                    yield TickList[str](*self._column_choices(), id="columns", compact=True)
            with Vertical(id="export-progress-box"):
                yield ProgressBar(id="export-progress", show_eta=False)
                yield Static("", id="export-status")
            with Horizontal(id="buttons"):
                yield Button("Close", id="close", compact=True)
                yield Button("Export (ctrl+s)", id="go", variant="primary", compact=True)
        yield KeysFooter()

    def _rows(self, scope: str) -> int | None:
        """How many rows ``scope`` writes (None: not known before reading them)."""
        req = self.request
        if scope == "loaded":
            return self.local_frame.height
        if scope == "dataset":
            return req.dataset.rows
        if not req.local_where:
            return req.total
        everything = req.total is not None and req.frame.height >= req.total
        return self.local_frame.height if everything else None  # the rest of the rows are filtered as they come

    def scopes(self) -> list[tuple[str, str]]:
        req = self.request
        loaded = req.frame.height
        per_row = (req.frame.estimated_size() / loaded) if loaded else None

        def size(rows: int | None) -> str:
            return f", about {human_bytes(per_row * rows)}" if per_row and rows else ""

        kept = self._rows("loaded")
        if req.local_where:
            out = [("loaded", f"The loaded rows that match ({kept:,} of {loaded:,})")]
        else:
            out = [("loaded", f"The loaded rows ({loaded:,})")]
        if self.filtered:
            what = "matching the filter" if (req.query.where or req.local_where) else ""
            if req.query.near is not None:
                what = f"{what} and {describe_near(req.query.near)}" if what else describe_near(req.query.near)
            rows = self._rows("filtered")
            if rows is None and req.local_where:
                count = f"count unknown: reads all {fmt_count(req.total)}, filters here"
            else:
                count = f"{fmt_count(rows)}{size(rows)}"
            out.append(("filtered", f"All rows {what} ({count})"))
        out.append(("dataset", f"The whole dataset ({fmt_count(req.dataset.rows)}{size(req.dataset.rows)})"))
        return out

    def _column_choices(self) -> list[Selection[str]]:
        names = [f.name for f in self.request.dataset.fields] or list(self.request.frame.columns)
        shown = list(self.request.columns) or names
        rest = [n for n in names if n not in shown]
        return [Selection(Text(one_line(n, 34)), n, n in shown) for n in [*shown, *rest]]

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()
        self._sync_format()
        self._check_path()

    # ------------------------------------------------------------------ live checks
    def chosen_format(self) -> str:
        value = self.query_one("#format", Select).value
        return str(value) if value is not Select.NULL else "csv"

    def scope(self) -> str:
        pressed = self.query_one("#scope", RadioSet).pressed_button
        return (pressed.id or "scope-loaded").removeprefix("scope-") if pressed else "loaded"

    def rows_for_scope(self) -> int | None:
        return self._rows(self.scope())

    @on(Input.Changed, "#path")
    def _path_changed(self, event: Input.Changed) -> None:
        ext = os.path.splitext(event.value)[1].lower()
        if ext in ex.EXTENSIONS and ex.EXTENSIONS[ext] != self.chosen_format():
            self.query_one("#format", Select).value = ex.EXTENSIONS[ext]
        self._check_path()

    @on(Select.Changed, "#format")
    def _format_changed(self) -> None:
        fmt = self.chosen_format()
        path = self.query_one("#path", Input)
        base, ext = os.path.splitext(path.value)
        if ext.lower() not in ex.FORMATS[fmt].extensions:  # the extension follows a format picked by hand
            with path.prevent(Input.Changed):
                path.value = (
                    base or ex.suggested_filename(self.request.dataset, fmt)[: -len(ex.FORMATS[fmt].extensions[0])]
                ) + ex.FORMATS[fmt].extensions[0]
        self._sync_format()
        self._check_path()

    @on(RadioSet.Changed)
    @on(SelectionList.SelectedChanged)
    def _scope_changed(self) -> None:
        self._sync_format()

    def _sync_format(self) -> None:
        fmt = self.chosen_format()
        for box, formats in (
            ("#opt-csv", ("csv", "tsv")),
            ("#opt-csv-2", ("csv", "tsv")),
            ("#opt-parquet", ("parquet",)),
            ("#opt-json", ("json",)),
        ):
            self.query_one(box).set_class(fmt not in formats, "hidden")
        if fmt == "tsv" and self.query_one("#delimiter", Input).value == ",":
            self.query_one("#delimiter", Input).value = "\t"
        elif fmt == "csv" and self.query_one("#delimiter", Input).value == "\t":
            self.query_one("#delimiter", Input).value = ","
        problem = ex.format_problem(
            fmt,
            self.request.dataset,
            [f.name for f in self.request.dataset.fields] or list(self.request.frame.columns),
            self.rows_for_scope(),
        )
        note = self.query_one("#format-note", Static)
        note.update(plain(problem or ""))
        note.display = bool(problem)
        self.query_one("#go", Button).disabled = bool(problem) or self.running

    def _check_path(self) -> str | None:
        """The problem with the path, shown under it (None: fine). An existing file is a note, not a problem."""
        note = self.query_one("#path-note", Static)
        value = self.query_one("#path", Input).value.strip()
        try:
            ex.format_for(value, None)
            target = ex.check_target(os.path.expanduser(value), overwrite=True)
        except PdxError as exc:
            note.update(plain(str(exc)))
            note.set_class(True, "-error")
            note.display = True
            return str(exc)
        note.set_class(False, "-error")
        existing = ex.in_the_way(target)  # the file and/or a sidecar left beside its name
        verb = "exists" if len(existing) == 1 else "exist"
        note.update(plain(f"{' and '.join(existing)} {verb}: you will be asked first" if existing else "", "yellow"))
        note.display = bool(existing)
        return None

    # ------------------------------------------------------------------ exporting
    def options(self, overwrite: bool) -> ex.ExportOptions:
        delimiter = self.query_one("#delimiter", Input).value or None
        return ex.ExportOptions(
            format=self.chosen_format(),
            columns=self._selected_columns(),
            overwrite=overwrite,
            delimiter=delimiter,
            header=self.query_one("#header", TickBox).value,
            quote_style=str(self.query_one("#quote", Select).value),
            null=self.query_one("#null", Input).value,
            compression=str(self.query_one("#compression", Select).value),
            pretty=self.query_one("#pretty", TickBox).value,
            provenance=self.query_one("#provenance", TickBox).value,
        )

    def _selected_columns(self) -> tuple[str, ...]:
        picker = self.query_one("#columns", SelectionList)
        chosen = set(picker.selected)
        return tuple(
            picker.get_option_at_index(i).value
            for i in range(picker.option_count)
            if picker.get_option_at_index(i).value in chosen
        )

    def action_export(self) -> None:
        if self.running:
            return
        if self._check_path() is not None:
            self.notify("Fix the file name first.", severity="warning", markup=False)
            return
        if not self._selected_columns():
            self.notify("Choose at least one column.", severity="warning", markup=False)
            return
        path = os.path.expanduser(self.query_one("#path", Input).value.strip())
        question = replace_question(ex.in_the_way(path), self.query_one("#provenance", TickBox).value)
        if question is not None:
            from pdxtui.ui.screens.confirm import ConfirmScreen

            self.app.push_screen(ConfirmScreen(*question), lambda yes: self._start(path, True) if yes else None)
        else:
            self._start(path, False)

    def _start(self, path: str, overwrite: bool) -> None:
        self.running = True
        self.query_one("#export-progress-box").set_class(True, "-running")
        self.query_one("#go", Button).disabled = True
        self.query_one("#close", Button).label = "Cancel export"
        self.query_one("#export-progress", ProgressBar).update(total=self.rows_for_scope(), progress=0)
        self.query_one("#export-status", Static).update(Text("Starting…"))
        self._run(path, self.options(overwrite), self.scope())

    @work(exclusive=True, group="export", exit_on_error=False)
    async def _run(self, path: str, options: ex.ExportOptions, scope: str) -> None:
        import asyncio

        req = self.request
        try:
            frame = self.local_frame  # the loaded rows, as the grid's own filter keeps them
            if scope == "filtered":
                query = Query(where=req.query.where or req.local_where, order=req.query.order, near=req.query.near)
            else:
                query = Query(order=req.query.order)
            result = await ex.export_scope(
                scope,
                path,
                options,
                frame=frame,
                service=req.service,
                dataset=req.dataset,
                query=query,
                progress=self._progress,
                source=self.source(scope, query) if options.provenance else None,
            )
        except asyncio.CancelledError:
            self._finished(None, "Export cancelled: nothing was written.")
            raise
        except Exception as exc:
            text = error_text(exc)
            if isinstance(exc, ex.TargetExists):  # it appeared after the dialog asked: no CLI flag to offer here
                text = f"{text.split('; use --force')[0]}: it appeared meanwhile; export again to be asked about it"
            self._finished(None, f"Export failed: {text}")
            self.notify(text, title="Export failed", severity="error", markup=False, timeout=10)
            return
        self._finished(result, result.summary())
        self.remember(path, options.format or self.chosen_format(), scope)
        self.notify(f"Exported: {result.summary()}", title="Export done", markup=False, timeout=10)
        self.dismiss(result)

    def source(self, scope: str, query: Query) -> Any:
        """Where the rows of ``scope`` come from, for the provenance record (``pdxtui.provenance.Source``): the
        portal, the session's secrets to keep out, and for the loaded rows the query the grid read them with
        (the grid's own filter, run on those rows here, named as such)."""
        from dataclasses import replace

        from pdxtui.config import known_secrets
        from pdxtui.provenance import source_for

        req = self.request
        session = getattr(self.app, "session", None)  # None in tests that give the app a service
        secrets = known_secrets(session.config) if session is not None else []
        if req.source is not None:  # rows from elsewhere (an address's permits): their facts, as given
            kept = (*req.source.secrets, *secrets)
            return replace(req.source, scope="all" if scope == "dataset" else scope, secrets=kept)
        if req.service is None:
            return None
        if scope != "loaded":
            return source_for(req.service, secrets=secrets, scope="all" if scope == "dataset" else scope)
        read = replace(req.query, limit=req.frame.height, offset=0)
        source = source_for(req.service, req.dataset, read, secrets=secrets, scope="loaded", retrieved_at=req.read_at)
        if not req.local_where:
            return source
        both = [w for w in (req.query.where, req.local_where) if w and w.strip()]
        where = " and ".join(f"({w})" for w in both) if len(both) > 1 else both[0]
        return replace(source, query=replace(read, where=where), filtered_here=True)

    def remember(self, path: str, fmt: str, scope: str) -> None:
        """Keep the folder, format and scope of this export for the next one (best effort: never fails). Not the
        provenance box: every export writes its provenance unless turned off for that one."""
        from pdxtui.state import load_state, save_state

        latest = load_state(self.state_file)  # another window may have exported meanwhile: keep its other choices
        latest.pop("provenance", None)  # remembered by earlier versions
        latest.update({"folder": os.path.dirname(os.path.abspath(path)), "format": fmt})
        latest["scope_filtered" if self.filtered else "scope"] = scope
        save_state(self.state_file, latest)

    def _progress(self, step: Progress) -> None:
        if step.message:  # what the portal said while reading (e.g. an old server's rows sorted here)
            self.notify(one_line(step.message, 300), title="Note", markup=False, timeout=8)
        self.query_one("#export-progress", ProgressBar).update(total=step.total, progress=step.rows)
        self.query_one("#export-status", Static).update(Text(f"{step.rows:,} of {fmt_count(step.total)} rows written"))

    def _finished(self, result: ex.ExportResult | None, message: str) -> None:
        self.running = False
        self.query_one("#export-status", Static).update(plain(message))
        self.query_one("#close", Button).label = "Close"
        self._sync_format()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "go":
            self.action_export()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "export")
            return
        self.dismiss(None)
