"""The README stays true: the two commands, and the keys table matches the help screen's list."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_has_the_two_commands():
    assert "pip install -e . && pdxtui" in README
    assert "pip install -e '.[test]' && pytest" in README


def test_readme_keys_table_matches_the_help_screen():
    from pdxtui.ui.keys import markdown_table

    block = re.search(r"<!-- keys:start -->\n(.*?)\n<!-- keys:end -->", README, re.S)
    assert block, "README lacks the keys block"
    assert block.group(1).strip() == markdown_table()
