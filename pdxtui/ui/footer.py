"""Which keys a footer shows: only keys that work where the focus is.

A key that types a character (``q``, ``?``, ``/``) goes into a focused text box, not to a plain binding. Textual
hides such keys from the footer itself, but only those whose name ``key_to_character`` turns back into their
character: it misses ``slash`` and ``plus``, so the browser's footer showed "/ Search" in the search box. A
screen using :class:`ShownKeys` leaves every such key out while an Input or a TextArea has focus. Keys bound with
``priority=True`` (ctrl+e, F1, …) reach their binding from a text box too and stay shown."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.binding import ActiveBinding
from textual.keys import key_to_character
from textual.widgets import Footer, Input, TextArea
from textual.widgets._footer import FooterKey  # (not exported by textual.widgets)

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen

#: key names textual's ``key_to_character`` does not turn back into their character
NAMED_CHARACTERS = {"plus": "+", "slash": "/", "minus": "-", "equals_sign": "=", "space": " "}


def types_a_character(key: str) -> bool:
    """``key`` types a character into a focused text box."""
    character = NAMED_CHARACTERS.get(key) or key_to_character(key)
    return character is not None and len(character) == 1 and character.isprintable()


class ShownKeys:
    """Screen mixin (put it before Screen/ModalScreen): the footer hides keys a focused text box would type.

    Only what is shown changes (``active_bindings`` feeds the footer); which binding a key runs does not."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        bindings: dict[str, ActiveBinding] = super().active_bindings  # type: ignore[misc]  # a Screen's, by the MRO
        if not isinstance(self.focused, (Input, TextArea)):  # type: ignore[attr-defined]  # a Screen's attribute
            return bindings
        return {
            key: active
            if active.binding.priority or not types_a_character(key) or not active.binding.show
            else active._replace(binding=replace(active.binding, show=False))
            for key, active in bindings.items()
        }


class KeysFooter(Footer):
    """Textual's footer, rebuilt only when the keys it shows change.

    Textual rebuilds its footer on every change of focus (each key a new widget, mounted and styled: about 0.2 s
    of CPU on the browser, felt on every Tab and every dialog). Most focus changes keep the same keys, so this
    footer compares what it would show (key, label, action, enabled, tooltip, group) with what it shows and only
    then rebuilds. Every screen of the app uses it."""

    _shown: tuple[object, ...] | None = None

    def _keys(self) -> tuple[object, ...]:
        app = self.app
        keys: list[object] = [
            (key, b.key, b.action, b.description, enabled, tooltip, b.group, app.get_key_display(b), b.show)
            for key, (_node, b, enabled, tooltip) in self.screen.active_bindings.items()
            if b.show or key == app.COMMAND_PALETTE_BINDING
        ]
        keys.append((self.compact, self.show_command_palette, app.ENABLE_COMMAND_PALETTE))
        return tuple(keys)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                self._born_compact(widget)
            yield widget

    def _born_compact(self, key: FooterKey) -> None:
        """Give a new key the ``compact`` it will end with, and its class: a FooterKey starts compact, then its
        watcher adds ``-compact`` and the footer's binding takes it away again, a restyle of the key each time (two
        per key). The command palette's key is not bound to the footer: it stays compact, as in textual."""
        compact = self.compact or key.has_class("-command-palette")
        key.set_reactive(FooterKey.compact, compact)
        key.set_class(compact, "-compact", update=False)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        if self.is_attached and self._keys() != self._shown:
            await self.recompose()
