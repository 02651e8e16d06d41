"""What start-up defers (pdxtui.ui.startup, the catalog's lines, the collector): nothing lost by deferring it."""

from __future__ import annotations

import argparse
import gc
from datetime import datetime

import pytest

from pdxtui.model import DatasetSummary


def test_every_screen_stylesheet_is_read_first_or_later_never_twice_or_never():
    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.startup import FIRST_CSS, SCREENS, later_css

    first = {SCREENS.parent / name for name in FIRST_CSS}
    later = set(later_css())
    assert set(PdxApp.CSS_PATH) == set(FIRST_CSS)
    assert first <= set(SCREENS.glob("*.tcss"))
    assert not first & later
    assert first | later == set(SCREENS.glob("*.tcss"))


def test_collect_again_turns_the_collector_back_on_only_when_start_up_turned_it_off():
    from pdxtui.ui.startup import collect_again

    frozen = gc.get_freeze_count()
    made = [[] for _ in range(10)]  # alive and tracked by the collector: frozen by the second call only
    try:
        collect_again()  # on already (as under tests): nothing changes
        assert gc.isenabled() and gc.get_freeze_count() == frozen
        gc.disable()
        collect_again()
        assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(made)
    finally:
        gc.enable()  # (the freeze stays: tests/conftest.py freezes what is alive after collection too)


def test_the_browser_start_turns_the_collector_back_on_whatever_happens(monkeypatch):
    """pdxtui.cli.tui turns the collector off while the browser starts; a browser that fails to start (or
    returns) leaves it on again."""
    from pdxtui.cli import tui
    from pdxtui.ui import app as app_module

    seen = []

    def failing_run_app(session, open_id=None):
        seen.append(gc.isenabled())
        raise RuntimeError("the terminal went away")

    monkeypatch.setattr(tui, "no_terminal_reason", lambda: "")
    monkeypatch.setattr(app_module, "run_app", failing_run_app)
    args = argparse.Namespace(portal="demo", cache_dir=None, config=None, command=None, open=None)
    with pytest.raises(RuntimeError):
        tui.launch(args)
    assert seen == [False]
    assert gc.isenabled()


HIT = DatasetSummary(
    id="x", title="Street Tree Inventory", owner="Portland Parks & Recreation", updated=datetime(2025, 2, 3), rows=3380
)


def test_a_hit_is_drawn_at_the_width_the_list_gives_it():
    """The catalog's two lines per hit are made when the list measures or draws them, for its width then: the
    same lines hit_prompt makes for that width (the owner shortened to fit), at any width, without new options."""
    from textual.content import Content

    from pdxtui.ui.widgets.catalog import DETAIL_WIDTH, HitLines, hit_prompt

    lines = HitLines(HIT)
    for width in (46, 30, 60):
        assert lines.lines(width) == Content.from_rich_text(hit_prompt(HIT, width))
        assert lines.get_height({}, width) == 2
    assert lines.lines(46).plain != lines.lines(30).plain  # the owner gives way in the narrower list
    assert lines.lines(5) == lines.lines(DETAIL_WIDTH)  # too narrow to say: the usual width
    assert str(lines).startswith("Street Tree Inventory\n")


@pytest.mark.parametrize(
    ("words", "registered"),
    [
        ([], False),
        (["--portal", "demo"], False),
        (["--portal=demo", "--debug", "--open", "X_1"], False),
        (["--cache-dir", "c", "--config", "x.toml"], False),
        (["--portal", "demo", "serch"], True),  # a mistyped command: the parser lists the commands
        (["--port", "demo"], True),  # abbreviated: the value looks like a command's place, so built as before
        (["open", "X_1"], True),
        (["search", "trees"], True),
    ],
)
def test_the_browser_start_builds_no_subcommand_parser(words, registered):
    """``pdxtui`` and ``pdxtui --portal demo`` start the browser: no word can be a command, so no subcommand
    module is imported nor its parser built; a word that can be a command gets the parser as before."""
    from pdxtui.cli import _modules_for, build_parser

    assert bool(_modules_for(words)) is registered
    if not registered:
        args = build_parser(words).parse_args(words)
        assert args.command is None and args.portal in (None, "demo")
