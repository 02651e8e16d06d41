"""The footer is rebuilt only when the keys it shows change, and then always (pdxtui.ui.footer.KeysFooter)."""

from __future__ import annotations

from tests.support.uihelpers import settle


def footer_app():
    from textual.app import App
    from textual.binding import Binding
    from textual.widgets import Input, Static

    from pdxtui.ui.footer import KeysFooter

    class CountingFooter(KeysFooter):
        builds = 0

        def compose(self):
            CountingFooter.builds += 1
            yield from super().compose()

    class Pane(Static, can_focus=True):
        BINDINGS = [Binding("x", "boom", "Boom")]

        def action_boom(self) -> None:
            pass

    class Keys(App):
        BINDINGS = [Binding("ctrl+y", "noop", "Noop")]
        ENABLE_COMMAND_PALETTE = False
        allowed = True

        def compose(self):
            yield Input(id="a")
            yield Input(id="b")
            yield Pane("pane", id="pane")
            yield CountingFooter()

        def action_noop(self) -> None:
            pass

        def check_action(self, action, parameters):
            return None if action == "noop" and not self.allowed else True  # None: shown, greyed out

    return Keys(), CountingFooter


def shown(app) -> dict[str, bool]:
    from textual.widgets._footer import FooterKey

    return {key.key: not key.has_class("-disabled") for key in app.query(FooterKey)}  # a disabled key is greyed


async def test_the_footer_is_rebuilt_only_when_its_keys_change():
    app, footer = footer_app()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one("#a").focus()
        await settle(pilot)
        assert shown(app) == {"ctrl+y": True}
        before = footer.builds
        app.query_one("#b").focus()  # the same keys: nothing to rebuild
        await settle(pilot)
        assert footer.builds == before and shown(app) == {"ctrl+y": True}
        app.query_one("#pane").focus()  # a key more
        await settle(pilot)
        assert footer.builds == before + 1 and shown(app) == {"x": True, "ctrl+y": True}
        app.allowed = False  # the same keys, one of them disabled now
        app.refresh_bindings()
        await settle(pilot)
        assert footer.builds == before + 2 and shown(app) == {"x": True, "ctrl+y": False}
        app.query_one("#a").focus()  # a key less
        await settle(pilot)
        assert shown(app) == {"ctrl+y": False}


def test_every_screen_uses_the_footer_that_rebuilds_only_on_change():
    import ast
    from pathlib import Path

    import pdxtui.ui

    plain = []
    for path in Path(pdxtui.ui.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Footer":
                plain.append(f"{path.name}:{node.lineno}")
    assert plain == []
