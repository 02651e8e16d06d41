"""Which keys a footer shows: only keys that work where the focus is.

A key that types a character (``q``, ``?``, ``/``) goes into a focused text box, not to a plain binding. Textual
hides such keys from the footer itself, but only those whose name ``key_to_character`` turns back into their
character: it misses ``slash`` and ``plus``, so the browser's footer showed "/ Search" in the search box. A
screen using :class:`ShownKeys` leaves every such key out while an Input or a TextArea has focus. Keys bound with
``priority=True`` (ctrl+e, F1, …) reach their binding from a text box too and stay shown."""

from __future__ import annotations

from dataclasses import replace

from textual.binding import ActiveBinding
from textual.keys import key_to_character
from textual.widgets import Input, TextArea

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
