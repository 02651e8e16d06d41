"""Every subcommand's ``--help`` says what it does and shows an example."""

from __future__ import annotations

import argparse

import pytest

from pdxtui.cli import COMMANDS, build_parser, main


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser(None)
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def epilog(sub: argparse.ArgumentParser) -> str:
    sub.format_help()  # a long epilog (the filter language's help) is made when the help is shown
    assert isinstance(sub.epilog, str)
    return sub.epilog


def test_every_command_is_in_the_parser():
    assert sorted(subparsers()) == sorted(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_subcommand_has_a_description_and_an_example(name):
    sub = subparsers()[name]
    assert sub.description and len(sub.description) > 40, name
    text = epilog(sub)
    assert text and "example" in text.lower(), name
    assert f"pdxtui {name}" in text or f"pdxtui --portal demo {name}" in text, name
    assert sub.formatter_class is argparse.RawDescriptionHelpFormatter, name  # the example keeps its lines


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_prints_the_example(capsys, name):
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    example = next(line for line in epilog(subparsers()[name]).splitlines() if line.strip().startswith("pdxtui"))
    assert example in out
