"""``pdxtui property ID --detail TYPE``: PortlandMaps property details. The work is in pdxtui/cli_portlandmaps.py;
this module only gives the CLI's extension mechanism (one NAME per module) its second name."""

from __future__ import annotations

from pdxtui.cli_portlandmaps import register_property as register
from pdxtui.cli_portlandmaps import run

NAME = "property"
__all__ = ["NAME", "register", "run"]
