"""Starting the browser from the command line: ``pdxtui``, ``pdxtui open ID`` and ``pdxtui --open ID`` need a
terminal (else exit 2 with a one-line hint, never escape codes), and ``open`` starts with that dataset open."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

NEIGHBORHOODS = "9f50a605cf4945259b983fa35c993fe9_125"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _env(tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TERM="xterm-256color",
        PYTHONPATH=ROOT,
        PDXTUI_CACHE_DIR=str(tmp_path / "cache"),
        PDXTUI_CONFIG=str(tmp_path / "config.toml"),
    )
    env.pop("NO_COLOR", None)
    return env


def _run(args, tmp_path, *, stdin=subprocess.PIPE, stdout=subprocess.PIPE) -> tuple[int, bytes, str]:
    """Run the CLI with pipes; a regression (the full-screen app starting) fails on the timeout, not a hang."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pdxtui", "--portal", "demo", *args],
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"pdxtui {' '.join(args)} with no terminal did not exit (it started the full-screen app)")
    return proc.returncode, out or b"", err.decode()


def _assert_hint(code: int, out: bytes, err: str) -> None:
    assert code == 2
    assert out == b""
    assert err.count("\n") == 1 and err.startswith("pdxtui: ")
    assert "\x1b" not in err
    assert "terminal" in err
    for command in ("search", "show", "preview", "export"):
        assert command in err


@pytest.mark.parametrize(
    "args", [[], ["open", NEIGHBORHOODS], ["--open", NEIGHBORHOODS]], ids=["app", "open", "--open"]
)
def test_no_terminal_exits_2_with_a_hint(tmp_path, args):
    _assert_hint(*_run(args, tmp_path))


def test_stdout_piped_with_a_terminal_on_stdin_exits_2(tmp_path):
    leader, follower = pty.openpty()
    try:
        code, out, err = _run([], tmp_path, stdin=follower)
    finally:
        os.close(leader)
        os.close(follower)
    _assert_hint(code, out, err)
    assert "stdout" in err


def test_stdin_piped_with_a_terminal_on_stdout_exits_2(tmp_path):
    leader, follower = pty.openpty()
    try:
        code, _out, err = _run([], tmp_path, stdout=follower)
    finally:
        os.close(leader)
        os.close(follower)
    assert code == 2 and "stdin" in err and err.count("\n") == 1


def test_open_needs_an_id(capsys):
    from pdxtui.cli import main

    with pytest.raises(SystemExit) as info:
        main(["--portal", "demo", "open"])
    assert info.value.code == 2
    assert "ID" in capsys.readouterr().err


def test_open_hands_the_id_to_the_app(monkeypatch):
    """Both spellings reach the browser with the id (the terminal check passes: stdin and stdout are ttys)."""
    import pdxtui.ui.app as app_module
    from pdxtui.cli import main

    started: list[str | None] = []
    monkeypatch.setattr(app_module, "run_app", lambda session, open_id=None: started.append(open_id) or 0)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert main(["--portal", "demo", "open", NEIGHBORHOODS]) == 0
    assert main(["--portal", "demo", "--open", NEIGHBORHOODS]) == 0
    assert main(["--portal", "demo"]) == 0
    assert started == [NEIGHBORHOODS, NEIGHBORHOODS, None]


def test_open_flag_with_a_command_is_a_usage_error(capsys):
    from pdxtui.cli import main

    assert main(["--portal", "demo", "--open", NEIGHBORHOODS, "search", "tree"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "--open" in err and "search" in err and err.count("\n") == 1
