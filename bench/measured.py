"""Which pdxtui a benchmark measures, and its bytecode as an installed copy has it.

pip writes .pyc files for the packages it installs; an editable install run with PYTHONDONTWRITEBYTECODE=1 (as on
the development machine) would compile every pdxtui module from source on each start, which no user pays.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path


def measured_package(env: dict[str, str] | None = None) -> Path:
    """The pdxtui package a fresh ``python`` imports with ``env`` (its PYTHONPATH: another checkout, for before and
    after), from outside any checkout (``python -c`` looks in the current folder first)."""
    out = subprocess.run(
        [sys.executable, "-c", "import os, pdxtui; print(os.path.dirname(pdxtui.__file__))"],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def compile_package(package: Path) -> None:
    """Write the package's bytecode, as pip would have."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
