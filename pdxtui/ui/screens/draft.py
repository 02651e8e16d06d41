"""Drafting screen: a short form on the left, the letter on the right in an editable TextArea.

The letter follows the form until the user edits it by hand; after that, form changes leave it alone and
"regenerate" (F4, with a confirmation) brings the generated text back. F2 copies (OSC 52), ctrl+s saves,
F6 closes the app and prints the letter on stdout. Those bindings have priority, so they work in the TextArea.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from pdxtui.drafting import DRAFT_KINDS, FORM_FIELDS, Draft, check, draft, input_from_form
from pdxtui.errors import PdxError
from pdxtui.model import Dataset
from pdxtui.textsafe import one_line
from pdxtui.ui.footer import KeysFooter
from pdxtui.ui.safe import plain
from pdxtui.ui.widgets.toggles import TickBox, TickList

CLIPBOARD_HINT = "If nothing arrived: tmux needs `set -g set-clipboard on`; or save it with ctrl+s."


@dataclass(frozen=True)
class DraftContext:
    """What the browser knows when drafting starts: the open dataset and what the user chose in it."""

    dataset: Dataset | None = None
    fields: tuple[str, ...] = ()
    filter_text: str | None = None
    record_ids: tuple[str, ...] = ()


def slug(text: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in out.split("-") if part)[:60] or "request"


class DraftScreen(Screen[None]):
    """Tells the app what it keeps for it with messages: the letter to print on exit (F6), and the requester's
    details saved when there is no session (tests)."""

    CSS_PATH = "draft.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # draft.tcss: a narrower form below 100 columns

    BINDINGS = [
        Binding("f2", "copy", "Copy", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("f4", "regenerate", "Regenerate", priority=True),
        Binding("f6", "print_on_exit", "Print & quit", priority=True),
        Binding("escape", "close", "Close"),
    ]

    @dataclass
    class PrintAndQuit(Message):
        """F6: the app quits and prints ``text`` on stdout."""

        text: str

    @dataclass
    class RequesterSaved(Message):
        """The requester's details were saved, and there is no session to keep them: the app keeps them."""

        requester: Any

    def __init__(self, context: DraftContext, kind: str = "records", *, today: date | None = None) -> None:
        super().__init__()
        self.context = context
        self.kind = kind
        self.today = today
        self.generated = ""  # the text the form last produced
        self.edited = False  # the letter was changed by hand
        self.current: Draft | None = None
        self.saved_requester: Any = None  # the details saved here when there is no session
        #: the request log's summary for the access letter, read once per (dataset API, URL) asked about
        self._usage: tuple[tuple[str, str], tuple[Any, ...]] | None = None

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Horizontal(id="draft-main"):
            with VerticalScroll(id="draft-form"):
                yield Label("Kind of request")
                yield Select(
                    [(Text(k.title), k.key) for k in DRAFT_KINDS], value=self.kind, allow_blank=False, id="kind"
                )
                yield Static("", id="kind-help")
                yield Vertical(id="fields")
                with Vertical(id="requester-box"):
                    yield Static("", id="requester")
                    yield Button("Your details…", id="edit-requester")
            with Vertical(id="draft-side"):
                yield Static("", id="draft-state")
                yield TextArea("", id="draft-letter", soft_wrap=True, show_line_numbers=False)
                yield Static("", id="draft-send")
        yield KeysFooter()

    async def on_mount(self) -> None:
        self.title = "Draft a request"
        if self.today is None:  # the app may pin the date (tests and screenshots do)
            self.today = getattr(self.app, "today", None) or date.today()
        await self._build_form()
        self._show_requester()
        self.refresh_letter(force=True)
        self.query_one("#kind", Select).focus()  # the first choice to make

    # ------------------------------------------------------------------ the form
    async def _build_form(self) -> None:
        box = self.query_one("#fields", Vertical)
        await box.remove_children()
        kind = next(k for k in DRAFT_KINDS if k.key == self.kind)
        self.query_one("#kind-help", Static).update(plain(kind.description, "dim"))
        widgets = []
        for spec in FORM_FIELDS[self.kind]:
            widgets.append(Label(spec.label))
            widgets.append(self._widget_for(spec))
        await box.mount_all(widgets)

    def _widget_for(self, spec) -> Any:
        ident = f"f-{spec.name}"
        ds = self.context.dataset
        if spec.type == "bool":
            return TickBox(spec.label, id=ident)
        if spec.type == "multiline":
            return TextArea("", id=ident, soft_wrap=True, show_line_numbers=False, tooltip=spec.help or None)
        if spec.type == "fields":
            names = [f.name for f in ds.fields] if ds is not None else []
            if not names:
                return Input(value=", ".join(self.context.fields), placeholder="field names, comma-separated", id=ident)
            chosen = set(self.context.fields)
            return TickList[str](*(Selection(Text(one_line(n, 40)), n, n in chosen) for n in names), id=ident)
        if spec.type == "choice":
            value = "CSV" if spec.name == "format" else Select.NULL
            return Select(
                [(Text(c), c) for c in spec.choices],
                value=value,
                allow_blank=spec.name != "format",
                id=ident,
                prompt=spec.label,
            )
        value = ""
        if spec.type == "list" and spec.name == "record_ids":
            value = ", ".join(self.context.record_ids)
        return Input(value=value, placeholder=spec.help or "", id=ident)

    def form_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for spec in FORM_FIELDS[self.kind]:
            widget = self.query_one(f"#f-{spec.name}")
            if isinstance(widget, Checkbox):
                values[spec.name] = widget.value
            elif isinstance(widget, TextArea):
                values[spec.name] = widget.text
            elif isinstance(widget, SelectionList):
                values[spec.name] = tuple(widget.selected)
            elif isinstance(widget, Select):
                values[spec.name] = "" if widget.value is Select.NULL else widget.value
            elif isinstance(widget, Input):
                values[spec.name] = widget.value
        return values

    def requester(self) -> Any:
        if self.saved_requester is not None:
            return self.saved_requester
        session = getattr(self.app, "session", None)
        return (
            getattr(getattr(session, "config", None), "requester", None)
            if session
            else getattr(self.app, "requester", None)
        )

    def _show_requester(self) -> None:
        who = self.requester()
        name = getattr(who, "name", "") if who else ""
        email = getattr(who, "email", "") if who else ""
        if name and email:
            self.query_one("#requester", Static).update(plain(f"From: {name} <{email}>", "dim"))
        else:
            self.query_one("#requester", Static).update(
                Text("Your name and e-mail are not set: the letter shows [placeholders]. Fill them in once:", "yellow")
            )

    # ------------------------------------------------------------------ the letter
    def build(self) -> Draft:
        from pdxtui.config import known_secrets

        ctx = self.context
        inp = input_from_form(
            self.kind, self.form_values(), dataset=ctx.dataset, requester=self.requester(), filter_text=ctx.filter_text
        )
        session = getattr(self.app, "session", None)
        if inp.include_usage and session is not None:
            inp = replace(inp, usage=self.usage(session, ctx.dataset.api_url if ctx.dataset else "", inp.url))
        secrets = known_secrets(session.config) if session is not None else []
        return draft(inp, today=self.today or date.today(), secrets=secrets)

    def usage(self, session: Any, api_url: str, url: str) -> tuple[Any, ...]:
        """What pdxtui asked of the portal (and these URLs' hosts) in the last days: read from the request log
        when the toggle is first ticked, not at every key typed in the form."""
        key = (api_url, url)
        if self._usage is None or self._usage[0] != key:
            self._usage = (key, session.usage(api_url, url))
        return self._usage[1]

    def refresh_letter(self, *, force: bool = False) -> None:
        try:
            self.current = self.build()
        except (PdxError, ValueError) as exc:
            self.query_one("#draft-state", Static).update(plain(f"Cannot draft yet: {exc}", "red"))
            return
        problems = check(input_from_form(self.kind, self.form_values(), dataset=self.context.dataset))
        self.generated = self.current.subject and f"Subject: {self.current.subject}\n\n{self.current.body}"
        if force or not self.edited:
            self.edited = False
            self.query_one("#draft-letter", TextArea).load_text(self.generated)
        self._show_send_to()
        self._show_state(problems)

    def _show_state(self, problems: tuple[str, ...] = ()) -> None:
        draft_ = self.current
        parts = []
        if self.edited:
            parts.append("edited by hand: form changes no longer update the letter (F4 regenerates)")
        else:
            parts.append("follows the form")
        if draft_ is not None and draft_.placeholders:
            parts.append(f"fill in: {', '.join(draft_.placeholders)}")
        parts += list(problems)
        self.query_one("#draft-state", Static).update(plain(" · ".join(parts), "italic"))

    def _show_send_to(self) -> None:
        if self.current is None:
            return
        out = Text()
        out.append("Send to\n", "bold")
        for i, r in enumerate(self.current.send_to, 1):
            out.append(f"{i}. {one_line(r.label, 100)}", "bold" if i == 1 else "")
            out.append(f" — {one_line(r.how, 80)}\n")
            if r.address:
                out.append(f"   {one_line(r.address, 200)}\n", "underline")
            if r.note:
                out.append(f"   {one_line(r.note, 300)}\n", "dim")
        self.query_one("#draft-send", Static).update(out)

    def letter_text(self) -> str:
        return self.query_one("#draft-letter", TextArea).text

    # ------------------------------------------------------------------ events
    @on(Select.Changed, "#kind")
    async def _kind_changed(self, event: Select.Changed) -> None:
        if event.value is Select.NULL or event.value == self.kind:
            return
        self.kind = str(event.value)
        await self._build_form()
        self.refresh_letter()

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    def _form_changed(self, event: Input.Changed | Checkbox.Changed | SelectionList.SelectedChanged) -> None:
        if str(getattr(event.control, "id", None) or "").startswith("f-"):
            self.refresh_letter()

    @on(Select.Changed)
    def _choice_changed(self, event: Select.Changed) -> None:
        if event.control.id and event.control.id.startswith("f-"):
            self.refresh_letter()

    @on(TextArea.Changed)
    def _text_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id == "draft-letter":
            edited = event.text_area.text != self.generated
            if edited != self.edited:
                self.edited = edited
                self._show_state()
        elif event.text_area.id and event.text_area.id.startswith("f-"):
            self.refresh_letter()

    @on(Button.Pressed, "#edit-requester")
    def _edit_requester(self) -> None:
        self.app.push_screen(RequesterScreen(self.requester()), self._requester_saved)

    def _requester_saved(self, profile: Any) -> None:
        if profile is None:
            return
        session = getattr(self.app, "session", None)
        try:
            from dataclasses import replace

            from pdxtui.config import Requester, save_requester

            requester = Requester(**profile)
            path = save_requester(requester, getattr(session.config, "path", None) if session else None)
            if session is not None:
                session.config = replace(session.config, requester=requester)
            else:
                self.saved_requester = requester
                self.post_message(self.RequesterSaved(requester))
        except (PdxError, OSError, TypeError) as exc:
            self.notify(f"Could not save your details: {exc}", severity="error", markup=False)
            return
        self.notify(f"Saved your details in {path}.", markup=False, timeout=5)
        self._show_requester()
        self.refresh_letter()

    # ------------------------------------------------------------------ actions
    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.letter_text())
        self.notify(
            f"Copied the letter ({len(self.letter_text()):,} characters) to the clipboard. {CLIPBOARD_HINT}",
            markup=False,
            timeout=8,
        )

    def action_save(self) -> None:
        ds = self.context.dataset
        default = f"{slug(ds.title) if ds else 'request'}-{self.kind}.txt"
        self.app.push_screen(SaveScreen(default), self._save_to)

    def _save_to(self, choice: tuple[str, bool] | None) -> None:
        if choice is None:
            return
        from pdxtui.export import write_text_atomic

        raw, force = choice
        path = Path(raw).expanduser()
        try:
            write_text_atomic(
                path, self.letter_text() + ("" if self.letter_text().endswith("\n") else "\n"), overwrite=force
            )
        except PdxError as exc:
            if "exists" in str(exc) and not force:
                from pdxtui.ui.screens.confirm import ConfirmScreen

                self.app.push_screen(
                    ConfirmScreen(f"{path} exists. Replace it?"),
                    lambda yes: self._save_to((raw, True)) if yes else None,
                )
                return
            self.notify(str(exc), title="Not saved", severity="error", markup=False)
            return
        self.notify(f"Saved the letter to {path.resolve()}", markup=False, timeout=8)

    def action_regenerate(self) -> None:
        if not self.edited:
            self.refresh_letter(force=True)
            return
        from pdxtui.ui.screens.confirm import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen(
                "Replace your edits with a freshly generated letter?",
                "Your hand edits will be lost. Copy or save them first if you want them.",
            ),
            lambda yes: self.refresh_letter(force=True) if yes else None,
        )

    def action_print_on_exit(self) -> None:
        self.post_message(self.PrintAndQuit(self.letter_text()))

    def action_close(self) -> None:
        self.dismiss(None)


class RequesterScreen(ModalScreen[dict[str, str] | None]):
    """Name, e-mail, phone, organisation and address, saved under [requester] in the config file."""

    CSS_PATH = "draft.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]
    FIELDS = (
        ("name", "Name"),
        ("email", "E-mail"),
        ("phone", "Phone (optional)"),
        ("organisation", "Organisation (optional)"),
        ("address", "Postal address (optional)"),
    )
    HINTS = {  # an empty field shows these, so that it reads as a field also without colour
        "name": "e.g. Ada Lovelace",
        "email": "e.g. ada@example.org",
        "phone": "(none)",
        "organisation": "(none)",
        "address": "(none)",
    }

    def __init__(self, current: Any) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Your details for drafted requests (saved in your pdxtui config file)", "bold"))
            for key, label in self.FIELDS:
                with Horizontal(classes="r-row"):
                    yield Label(label, classes="r-label")
                    value = str(getattr(self.current, key, "") or "")
                    yield Input(value=value, placeholder=self.HINTS[key], id=f"r-{key}", compact=True)
            yield Static(Text("Enter or ctrl+s saves · Esc cancels", "dim"), id="r-hint")
            with Horizontal(id="r-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#r-name", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        self.dismiss({key: self.query_one(f"#r-{key}", Input).value.strip() for key, _ in self.FIELDS})

    def action_cancel(self) -> None:
        self.dismiss(None)


class SaveScreen(ModalScreen[tuple[str, bool] | None]):
    """Asks where to save the letter (.txt or .md)."""

    CSS_PATH = "draft.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Save the letter to (a .txt or .md file; Enter saves, Esc cancels):"))
            yield Input(value=self.default, id="save-path")
        yield KeysFooter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if value:
            self.dismiss((value, False))

    def action_cancel(self) -> None:
        self.dismiss(None)
