"""Running the command line in the test's own process: ``run_cli(capsys, *argv)`` → (exit code, stdout, stderr)."""

from __future__ import annotations

from pdxtui.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
