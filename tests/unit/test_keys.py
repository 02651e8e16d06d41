"""Every key the app binds is in the key list (pdxtui/ui/keys.py) and in the README's keys section.

The bindings are collected from the classes themselves: the App, and every Screen and Widget class under
pdxtui.ui, each with the BINDINGS it declares (the ones it inherits from Textual are Textual's to document)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.dom import DOMNode

import pdxtui.ui
from pdxtui.ui.keys import DIALOG_KEYS, KEYS, markdown_table

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")

#: Textual's key names as the key list spells them
SPELLING = {
    "slash": "/",
    "colon": ":",
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "plus": "+",
    "minus": "-",
    "equals_sign": "=",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "home": "Home",
    "end": "End",
    "shift+tab": "Shift+Tab",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "ctrl+up": "ctrl+↑",
    "ctrl+down": "ctrl+↓",
}
ARROWS = {"up", "down", "left", "right"}


def spellings(key: str) -> set[str]:
    """How the key list may write ``key``: ``f1`` as F1, ``slash`` as /, an arrow as itself or "arrows"."""
    if re.fullmatch(r"f\d+", key):
        return {key.upper()}
    names = {SPELLING.get(key, key)}
    if key in ARROWS:
        names.add("arrows")
    return names


def ui_classes() -> list[type]:
    """The App, Screen and Widget classes defined in the modules of pdxtui.ui."""
    found = []
    for info in pkgutil.walk_packages(pdxtui.ui.__path__, "pdxtui.ui."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, DOMNode):
                found.append(cls)
    return found


def declared_keys() -> dict[str, list[str]]:
    """Each bound key, with the classes that bind it."""
    keys: dict[str, list[str]] = {}
    for cls in ui_classes():
        for binding in cls.__dict__.get("BINDINGS", []):
            key_spec = binding.key if isinstance(binding, Binding) else binding[0]
            for key in key_spec.split(","):
                keys.setdefault(key.strip(), []).append(cls.__name__)
    return keys


def listed(keys_column: list[str]) -> set[str]:
    return {token for keys in keys_column for token in keys.split()}


def readme_keys_section() -> str:
    match = re.search(r"^### Keys\n(.*?)^#", README, re.S | re.M)
    assert match, "README lacks its keys section"
    return match.group(1)


def test_the_app_binds_keys_at_all():
    keys = declared_keys()
    assert {"f1", "ctrl+e", "slash"} <= set(keys)  # the collector finds App, Screen and Widget bindings
    assert "PreviewPane" in keys["s"] and "ChartScreen" in keys["equals_sign"]


def test_every_bound_key_is_in_the_key_list():
    tokens = listed([key for key, _action, _where in (*KEYS, *DIALOG_KEYS)])
    missing = {key: owners for key, owners in declared_keys().items() if not spellings(key) & tokens}
    assert missing == {}


def test_every_bound_key_is_in_the_readme():
    section = readme_keys_section()
    tokens = listed(re.findall(r"`([^`]+)`", section))
    missing = {key: owners for key, owners in declared_keys().items() if not spellings(key) & tokens}
    assert missing == {}


def test_the_readme_carries_both_tables():
    section = readme_keys_section()
    assert markdown_table(KEYS) in section and markdown_table(DIALOG_KEYS) in section


@pytest.mark.parametrize("dropped", ["Esc", "ctrl+↑"])
def test_the_check_fails_when_a_key_is_dropped(dropped):
    tokens = listed([key for key, _action, _where in (*KEYS, *DIALOG_KEYS)]) - {dropped}
    missing = {key for key in declared_keys() if not spellings(key) & tokens}
    assert missing
