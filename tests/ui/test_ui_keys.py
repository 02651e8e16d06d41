"""Pilot tests of focus and keys (issue 16): focus follows the user to the grid after opening a dataset, a new
dataset opens at its first cell, every key the footer advertises works where it is advertised, vim movement,
finding text in the grid, pane jumps, type-to-search in the results and the screen keys on modifiers."""

from __future__ import annotations

import pytest

from tests.support.uihelpers import demo_app, screen_text, settle, text_of, wait_for

SIZE = (140, 42)


def grid_of(app):
    return app.screen.query_one("#preview").grid


async def open_from_list(pilot, title: str) -> None:
    """Highlight ``title`` in the results list and press Enter on it."""
    await settle(pilot)
    catalog = pilot.app.screen.query_one("#catalog")
    catalog.focus()
    catalog.highlighted = [hit.title for hit in catalog.hits].index(title)
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


async def open_from_search_box(pilot, words: str) -> None:
    """Type in the search box, Enter (to the results), Enter (opens the first hit)."""
    await settle(pilot)
    pilot.app.screen.query_one("#search").focus()
    await pilot.press(*words)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def open_from_palette(pilot, title: str) -> None:
    app = pilot.app
    await settle(pilot)
    app.screen.query_one("#search").focus()  # the worst place to be left in
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*title)
    # a result row (the typed text alone shows in the palette's own box at once)
    await wait_for(pilot, lambda: any(title in str(o.prompt) for o in app.screen.query("CommandList").first().options))
    await pilot.press("enter")
    await settle(pilot)


OPENERS = {"list": open_from_list, "search box": open_from_search_box, "palette": open_from_palette}


# ---------------------------------------------------------------------- bug 1: focus goes to the grid
@pytest.mark.parametrize("how", OPENERS)
async def test_opening_a_dataset_focuses_its_grid(ids, how):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await OPENERS[how](pilot, "Heritage Trees" if how != "search box" else "heritage")
        assert app.screen.dataset.id == ids["Heritage Trees"]
        assert grid_of(app) is not None and app.focused is grid_of(app)
        await pilot.press("s")  # the grid's keys work at once
        await settle(pilot)
        assert app.screen.query_one("#side").active == "tab-stats"


async def test_rows_that_fail_to_load_leave_focus_on_the_message(ids):
    from pdxtui.ui.widgets.preview import PreviewPane

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        service = app.screen.service

        async def broken(*args, **kwargs):
            raise RuntimeError("the portal fell over")

        service.preview = broken
        await open_from_list(pilot, "Heritage Trees")
        pane = app.screen.query_one(PreviewPane)
        assert pane.grid is None
        assert app.focused is not None and app.focused.id == "preview-empty"
        assert "fell over" in text_of(app.focused)
        await pilot.press("tab")  # not a dead end: Tab goes on
        assert app.focused is not None and app.focused.id != "preview-empty"


async def test_a_dataset_that_does_not_open_leaves_focus_on_the_message():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#catalog").focus()
        app.screen.open_dataset("no-such-id")
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "preview-empty"


async def test_typing_while_rows_load_keeps_focus_in_the_box(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#catalog").focus()
        await pilot.pause()
        app.screen.open_dataset(ids["Heritage Trees"])
        app.screen.query_one("#search").focus()  # the user went on typing before the rows came
        await settle(pilot)
        assert app.focused.id == "search"


# ---------------------------------------------------------------------- bug 2: a new dataset opens at its first cell
async def test_a_new_dataset_opens_at_the_first_cell_scrolled_home(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_from_list(pilot, "Address Points")
        grid = grid_of(app)
        grid.move_cursor(row=40, column=grid.column_count - 1)
        await pilot.pause()
        assert grid.scroll_offset.y > 0 and grid.scroll_offset.x > 0
        await open_from_list(pilot, "Street Tree Inventory - Active Records")
        grid = grid_of(app)
        assert grid.cursor_coordinate == (0, 0)
        await pilot.pause()
        assert tuple(grid.scroll_offset) == (0, 0)


async def test_the_same_dataset_keeps_its_cursor_after_a_sort(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_from_list(pilot, "Heritage Trees")
        pane = app.screen.query_one("#preview")
        column = pane.view.columns.index("HEIGHT")
        grid_of(app).move_cursor(row=5, column=column)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert grid_of(app).cursor_coordinate == (5, column)
        assert app.focused is grid_of(app)


# ---------------------------------------------------------------------- every advertised grid key does its job
def footer_keys(app) -> list[str]:
    """The keys the footer shows, as bound (not as displayed)."""
    from textual.widgets._footer import FooterKey

    return [key.key for key in app.screen.query(FooterKey)]


GRID_KEYS = ["f", "left_square_bracket", "right_square_bracket", "s", "F", "m", "v", "C", "u", "Y", "L", "plus"]


async def check_grid_key(pilot, key: str) -> None:
    """Press ``key`` in the grid and check that it did what it says; come back to the grid afterwards."""
    from pdxtui.ui.screens.chart import ChartScreen
    from pdxtui.ui.screens.columns import ColumnsScreen
    from pdxtui.ui.screens.export import ExportScreen
    from pdxtui.ui.screens.facets import FacetScreen
    from pdxtui.ui.screens.guide import GuideScreen
    from pdxtui.ui.screens.help import HelpScreen

    app = pilot.app
    pane = app.screen.query_one("#preview")
    grid = pane.grid
    assert app.focused is grid, f"before {key}: focus is on {app.focused}"
    app.copy_to_clipboard("")
    column = pane.current_column()
    before = (pane.preview.shown, pane.preview.query.order)
    await pilot.press(key)
    await settle(pilot)
    back = "escape"
    if key == "f":
        assert app.focused.id == "filter"
    elif key in ("left_square_bracket", "right_square_bracket"):
        assert pane.preview.query.order == ((column, key == "right_square_bracket"),)
        back = None
    elif key == "s":
        assert app.screen.query_one("#side").active == "tab-stats"
        assert text_of(app.screen.query_one("#stats-body")).startswith(column)
        back = None
    elif key == "F":
        assert isinstance(app.screen, FacetScreen)
    elif key in ("m", "v"):
        assert isinstance(app.screen, ChartScreen)
    elif key == "C":
        assert isinstance(app.screen, ColumnsScreen)
    elif key == "u":
        assert app.clipboard.startswith(pane.preview.dataset.api_url)
        back = None
    elif key == "Y":
        assert app.clipboard.split("\n")[0].split("\t") == pane.view.columns
        back = None
    elif key == "y":
        assert app.clipboard == str(pane.view[grid.cursor_row, grid.cursor_column])
        back = None
    elif key == "plus":
        assert pane.preview.shown > before[0]
        back = None
    elif key == "L":
        assert pane.preview.shown == pane.preview.total > before[0]
        back = None
    elif key == "ctrl+e":
        assert isinstance(app.screen, ExportScreen)
    elif key == "question_mark":
        assert isinstance(app.screen, HelpScreen)
    elif key == "ctrl+g":
        assert isinstance(app.screen, GuideScreen)
    elif key == "slash":
        assert app.focused.id == "find-input"
    elif key == "z":
        assert app.screen.maximized is pane  # the preview pane fills the screen ...
        await pilot.press("z")
        await settle(pilot)
        assert app.screen.maximized is None  # ... and z again restores the layout
        back = None
    else:
        raise AssertionError(f"the footer advertises {key}, which this test does not know how to check")
    if back:
        await pilot.press(back)
        await settle(pilot)
    # focus follows the user: after the key (and Esc out of what it opened) the grid has the focus again
    assert app.focused is pane.grid, f"after {key}: focus is on {app.focused}"


@pytest.mark.parametrize("how", OPENERS)
async def test_every_advertised_grid_key_takes_effect(ids, how):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await OPENERS[how](pilot, "Bicycle Parking" if how != "search box" else "bicycle parking")
        assert app.screen.dataset.id == ids["Bicycle Parking"]
        assert app.focused is grid_of(app)
        advertised = [k for k in footer_keys(app) if k not in ("q", "ctrl+p")]
        # every key the grid's footer shows after opening from the list, and half of them after each other way (the
        # two halves: all of them again; test_opening_a_dataset_focuses_its_grid checks the focus each way); the
        # other keys the issue names (u Y + L: they fetch or copy, and move no focus) once, after the list
        keys = list(dict.fromkeys([*advertised, "y", *(GRID_KEYS if how == "list" else ())]))
        if how != "list":  # (the list walks them all; the search box and the palette half each, together all again)
            keys = keys[how == "palette" :: 2]
        if "L" in keys:
            keys.remove("L")
            keys.append("L")  # last: loads everything
        for key in keys:
            await check_grid_key(pilot, key)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_the_grid_footer_fits_140_columns():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_from_list(pilot, "Heritage Trees")
        footer = screen_text(app).splitlines()[-1]
        for shown in ("m Map", "v Chart", "y Copy", "? Help", "q Quit", "f Filter", "/ Find"):
            assert shown in footer, (shown, footer)


# ---------------------------------------------------------------------- every footer shows only keys that work there
#: key names textual's key_to_character does not turn back into their characters
NAMED = {"plus": "+", "slash": "/", "minus": "-", "equals_sign": "=", "space": " "}


def printable(key: str) -> bool:
    """A key that types a character (into an Input or a TextArea that has focus)."""
    from textual.keys import key_to_character

    character = NAMED.get(key) or key_to_character(key)
    return character is not None and len(character) == 1 and character.isprintable()


def check_footer(app, place: str) -> list[str]:
    """The footer's keys that do not work where the focus is: each must be an enabled binding whose action exists
    on its namespace, reached by the key (a printable key typed into a text box never reaches a plain binding)."""
    from textual.widgets import Input, TextArea
    from textual.widgets._footer import FooterKey

    screen = app.screen
    problems = []
    assert app.focused is not None and app.focused.screen is screen, f"{place}: nothing is focused"
    active = screen.active_bindings
    for footer_key in screen.query(FooterKey):
        found = active.get(footer_key.key)
        if found is None:
            problems.append(f"{place}: {footer_key.key} is shown but not bound")
            continue
        namespace, binding, enabled, _tooltip = found
        if not enabled:
            problems.append(f"{place}: {footer_key.key} is shown but disabled")
        action = binding.action.split("(")[0]
        target = namespace
        if action.startswith("app."):
            target, action = app, action.removeprefix("app.")
        elif action.startswith("screen."):
            target, action = screen, action.removeprefix("screen.")
        if not callable(getattr(target, f"action_{action}", None)):
            problems.append(f"{place}: {footer_key.key} runs {binding.action}, which {target} lacks")
        typed = isinstance(app.focused, (Input, TextArea)) and printable(footer_key.key)
        if typed and not binding.priority:
            problems.append(f"{place}: {footer_key.key} is typed into {app.focused}, yet the footer shows it")
    return problems


async def test_every_footer_shows_only_keys_that_work_there(ids):
    from textual.widgets import Footer

    app = demo_app()
    problems: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:  # a smaller screen paints faster; the footers are the same
        await settle(pilot)
        screen = app.screen

        async def look(place: str) -> None:
            await settle(pilot)
            await pilot.pause()
            assert app.screen.query(Footer), f"{place}: no footer"
            problems.extend(check_footer(app, place))

        await look("start-up (search box)")
        assert app.focused.id == "search"
        for widget in ("#catalog", "#metadata", "#schema"):
            screen.query_one(widget).focus()
            await look(f"{widget} with nothing open")
        await open_from_list(pilot, "Heritage Trees")
        await look("grid")
        for widget in ("#search", "#catalog", "#metadata", "#schema", "#filter"):
            screen.query_one(widget).focus()
            await look(f"{widget} with a dataset open")
        grid_of(app).focus()
        await pilot.press("slash")
        await look("find bar")
        await pilot.press("escape")
        # the screens and dialogs the browser opens, each with its own keys
        dialogs = [
            ("ctrl+e", "export dialog"),
            ("question_mark", "help"),
            ("C", "column picker"),
            ("F", "facet view"),
            ("v", "chart"),
            ("m", "map"),
            ("enter", "cell view"),
            ("ctrl+t", "draft"),
            ("ctrl+g", "guide"),
            ("ctrl+l", "address lookup"),
        ]
        for key, place in dialogs:
            grid_of(app).focus()
            await pilot.pause()
            await pilot.press(key)
            await look(place)
            assert app.screen is not screen, place
            for box in app.screen.query("Input, TextArea"):  # its text boxes: no key shown that they would type
                if box.focusable and box.display:
                    box.focus()
                    await look(f"{place}, {box.id or type(box).__name__}")
            if place == "draft":  # its own dialogs: your details, save to a file
                draft = app.screen
                draft.query_one("#edit-requester").press()
                await look("your details")
                assert app.screen is not draft
                app.screen.dismiss(None)
                await settle(pilot)
                await pilot.press("ctrl+s")
                await look("save the letter")
                assert app.screen is not draft
                app.screen.dismiss(None)
                await settle(pilot)
            app.screen.dismiss(None)
            await settle(pilot)
            assert app.screen is screen, f"{place} did not close"
        grid_of(app).focus()
        await pilot.press("L")  # Heritage Trees is small: nothing to ask. A big one asks:
        app.screen.open_dataset(ids["Street Tree Inventory - Active Records"])
        await settle(pilot)
        grid_of(app).focus()
        await pilot.press("L")
        await look("load-all question")
        await pilot.press("n")
    assert problems == []


def test_the_footer_check_catches_a_typed_key():
    assert all(printable(key) for key in ("q", "question_mark", "slash", "G", "plus", "left_square_bracket"))
    assert not any(printable(key) for key in ("ctrl+g", "f1", "escape", "enter", "tab", "ctrl+e"))


async def test_the_footer_check_reports_keys_that_do_not_work():
    """check_footer itself can fail: a key a focused text box would type, and a key whose action does not exist."""
    from textual.app import App
    from textual.binding import Binding
    from textual.widgets import Footer, Input

    class Broken(App):
        BINDINGS = [Binding("plus", "more", "More"), Binding("ctrl+y", "nowhere", "Nowhere")]

        def compose(self):
            yield Input(id="box")
            yield Footer()

        def action_more(self) -> None:
            pass

    app = Broken()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one("#box").focus()
        await pilot.pause()
        problems = check_footer(app, "broken")
        assert any("plus is typed into" in p for p in problems), problems
        assert any("ctrl+y runs nowhere" in p for p in problems), problems


# ---------------------------------------------------------------------- vim movement
async def test_vim_keys_move_the_grid_cursor(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_from_list(pilot, "Heritage Trees")
        grid = grid_of(app)
        await pilot.press("j", "j", "j", "k")
        assert grid.cursor_coordinate == (2, 0)
        await pilot.press("l", "l", "h")
        assert grid.cursor_coordinate == (2, 1)
        await pilot.press("G")
        assert grid.cursor_coordinate == (grid.row_count - 1, 1)
        await pilot.press("g")
        assert grid.cursor_coordinate == (0, 1)
        await pilot.press("end")
        assert grid.cursor_coordinate == (0, grid.column_count - 1)
        await pilot.press("home")
        assert grid.cursor_coordinate == (0, 0)


async def test_vim_keys_move_through_the_lists(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        catalog = app.screen.query_one("#catalog")
        catalog.focus()
        await pilot.press("j", "j", "k")
        assert catalog.highlighted == 1
        await pilot.press("G")
        assert catalog.highlighted == len(catalog.hits) - 1
        await pilot.press("g")
        assert catalog.highlighted == 0
        await open_from_list(pilot, "Heritage Trees")
        schema = app.screen.query_one("#schema")
        schema.focus()
        await pilot.press("j", "j", "j", "k")
        assert schema.cursor_row == 2
        await pilot.press("G")
        assert schema.cursor_row == schema.row_count - 1
        await pilot.press("g")
        assert schema.cursor_row == 0
        grid_of(app).move_cursor(column=app.screen.query_one("#preview").view.columns.index("COMMON"))
        grid_of(app).focus()
        await pilot.press("F")
        await settle(pilot)
        facets = app.screen.query_one("#facet-table")
        assert app.focused is facets
        await pilot.press("j", "j")
        assert facets.cursor_row == 2
        await pilot.press("G")
        assert facets.cursor_row == facets.row_count - 1
        await pilot.press("g", "k")
        assert facets.cursor_row == 0


# ---------------------------------------------------------------------- finding text in the grid
async def test_slash_finds_text_in_the_loaded_rows(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_from_list(pilot, "Heritage Trees")
        pane = app.screen.query_one("#preview")
        grid = grid_of(app)
        texts = [str(v) for v in pane.view["COMMON"].to_list()]
        wanted = [i for i, t in enumerate(texts) if "oak" in t.lower()]
        assert len(wanted) >= 2
        other_hits = sum(
            1
            for name in pane.view.columns
            if name != "COMMON"
            for v in pane.view[name].to_list()
            if v is not None and "oak" in str(v).lower()
        )
        await pilot.press("slash")
        assert app.focused.id == "find-input"
        await pilot.press(*"OAK", "enter")
        await settle(pilot)
        assert app.focused is grid
        first = grid.cursor_coordinate
        assert "oak" in str(pane.view[first.row, first.column]).lower()
        total = len(wanted) + other_hits
        find_text = text_of(app.screen.query_one("#find-count"))
        assert f"1 of {total}" in find_text
        await pilot.press("n")
        second = grid.cursor_coordinate
        assert second != first and "oak" in str(pane.view[second.row, second.column]).lower()
        assert f"2 of {total}" in text_of(app.screen.query_one("#find-count"))
        await pilot.press("N")
        assert grid.cursor_coordinate == first
        await pilot.press("N")  # wraps round to the last match
        last = grid.cursor_coordinate
        assert last.row >= second.row and f"{total} of {total}" in text_of(app.screen.query_one("#find-count"))
        assert "oak" in str(pane.view[last.row, last.column]).lower()  # the last match, not any cell
        # no match: said plainly, the cursor stays
        await pilot.press("slash")
        app.focused.value = ""
        await pilot.press(*"zzqqxx", "enter")
        await settle(pilot)
        assert "No match for 'zzqqxx'" in text_of(app.screen.query_one("#find-count"))
        assert grid.cursor_coordinate == last
        await pilot.press("escape")  # Esc leaves the find
        assert not app.screen.query_one("#find").display
        assert app.focused is grid
        await pilot.press("n")  # nothing to find any more: n does not move
        assert grid.cursor_coordinate == last


async def test_find_escape_from_the_box_goes_back_to_the_grid(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_from_list(pilot, "Heritage Trees")
        await pilot.press("slash", *"maple")
        await pilot.press("escape")
        assert app.focused is grid_of(app)
        assert not app.screen.query_one("#find").display


# ---------------------------------------------------------------------- pane jumps
async def test_number_keys_jump_to_the_panes(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_from_list(pilot, "Heritage Trees")
        await pilot.press("1")
        assert app.focused.id == "search"
        app.screen.query_one("#catalog").focus()
        await pilot.press("3")
        assert app.focused.id == "metadata"
        await pilot.press("4")
        assert app.focused.id == "schema"
        assert app.screen.query_one("#side").active == "tab-schema"
        await pilot.press("5")
        assert app.focused is grid_of(app)
        await pilot.press("2")
        assert app.focused.id == "catalog"


# ---------------------------------------------------------------------- type-to-search in the results list
async def test_typing_in_the_results_list_searches(ids):
    from pdxtui.ui.screens.address import AddressScreen

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#catalog").focus()
        await pilot.press(*"parks")
        await settle(pilot)
        assert not isinstance(app.screen, AddressScreen)
        assert app.focused.id == "search"
        assert app.screen.query_one("#search").value == "parks"
        titles = [hit.title for hit in app.screen.query_one("#catalog").hits]
        assert titles and all("park" in t.lower() for t in titles[:1])


async def test_letters_no_longer_open_screens_from_the_list():
    from pdxtui.ui.screens.draft import DraftScreen
    from pdxtui.ui.screens.guide import GuideScreen

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for letter in "ad":
            app.screen.query_one("#search").value = ""
            app.screen.query_one("#catalog").focus()
            await pilot.pause()
            await pilot.press(letter)
            await settle(pilot)
            assert not isinstance(app.screen, (DraftScreen, GuideScreen)), letter
            assert app.focused.id == "search" and app.focused.value == letter
        catalog = app.screen.query_one("#catalog")
        catalog.focus()
        catalog.highlighted = 2
        await pilot.pause()
        await pilot.press("g")  # g moves in the list (to the first result)
        assert not isinstance(app.screen, GuideScreen) and app.focused.id == "catalog" and catalog.highlighted == 0


# ---------------------------------------------------------------------- screens on modifiers, from text boxes too
# each key once and each place once (one priority-binding mechanism; the full square cost 20 s of the suite), in one
# app: each screen is closed again before the next key, and a failure names its key and place
SCREEN_KEYS = [("ctrl+g", "search"), ("ctrl+t", "filter"), ("ctrl+l", "grid")]


async def test_screen_keys_work_from_text_boxes_and_the_grid(ids):
    from pdxtui.ui.screens.address import AddressScreen
    from pdxtui.ui.screens.draft import DraftScreen
    from pdxtui.ui.screens.guide import GuideScreen

    app = demo_app()
    problems: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await open_from_list(pilot, "Heritage Trees")
        browser = app.screen
        for key, where in SCREEN_KEYS:
            expected = {"ctrl+g": GuideScreen, "ctrl+t": DraftScreen, "ctrl+l": AddressScreen}[key]
            target = grid_of(app) if where == "grid" else browser.query_one(f"#{where}")
            target.focus()
            await pilot.press("x") if where != "grid" else None
            await pilot.press(key)
            await settle(pilot)
            if not isinstance(app.screen, expected):
                problems.append(f"{key} from {where} opened {type(app.screen).__name__}, not {expected.__name__}")
            if where != "grid" and not target.value.endswith("x"):  # nothing typed was lost
                problems.append(f"{key} from {where}: the box holds {target.value!r}, the typed x is lost")
            if app.screen is not browser:
                app.screen.dismiss(None)
                await settle(pilot)
            assert app.screen is browser, f"{key} from {where}: {type(app.screen).__name__} did not close"
    assert problems == []


def test_screen_keys_shadow_no_text_box_key():
    from textual.widgets import Input, TextArea

    taken = {
        key.strip()
        for cls in (Input, TextArea)
        for binding in cls.BINDINGS
        for key in (binding.key if hasattr(binding, "key") else binding[0]).split(",")
    }
    assert not {"ctrl+g", "ctrl+t", "ctrl+l", "ctrl+n", "ctrl+f"} & taken


# ---------------------------------------------------------------------- the palette shows keys
async def test_the_palette_shows_each_commands_key():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"guide")
        await wait_for(pilot, lambda: "ctrl+g" in screen_text(app))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"export rows")
        await wait_for(pilot, lambda: "ctrl+e" in screen_text(app))


def test_find_cells_matches_the_text_the_grid_shows():
    from datetime import datetime

    import polars as pl

    from pdxtui.ui.widgets.find import Found, find_cells

    frame = pl.DataFrame(
        {
            "name": ["Oak", None, "red OAK", "maple"],
            "height": [2002440.0, 1.5, None, 45.5234],  # shown as 2002440, 1.5, ∅, 45.5234
            "when": [datetime(2024, 1, 2, 3, 4, 5), None, None, datetime(2020, 5, 6)],
            "count": [10, 20, 2002, 3],
        }
    )
    cells = find_cells(frame, "oak")
    assert cells.to_list() == [0 * 4 + 0, 2 * 4 + 0]
    assert find_cells(frame, "2002440").to_list() == [0 * 4 + 1]  # not 2.00244e+06, not 2002440.0
    assert find_cells(frame, ".0").to_list() == []
    assert find_cells(frame, "2024-01-02 03:04").to_list() == [0 * 4 + 2]
    assert find_cells(frame, "200").to_list() == [0 * 4 + 1, 2 * 4 + 3]
    assert find_cells(frame, "∅").to_list() == []  # nulls are not text
    found = Found("oak", cells, frame.width)
    assert found.step(0, 0, True, here=True) == (0, 0) and "1 of 2" in found.describe()
    assert found.step(0, 0, True) == (2, 0) and "2 of 2" in found.describe()
    assert found.step(2, 0, True) == (0, 0)  # wraps round
    assert found.step(0, 0, False) == (2, 0)  # and backwards
    assert Found("zz", find_cells(frame, "zz"), 4).step(0, 0, True) is None
    assert "No match for 'zz'" in Found("zz", find_cells(frame, "zz"), 4).describe()
