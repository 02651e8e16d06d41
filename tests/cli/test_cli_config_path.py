"""Where to put the PortlandMaps API key: the address lookup screen and ``pdxtui address``/``property`` name the
config file pdxtui really reads (``--config``, else ``$PDXTUI_CONFIG``, else ``$XDG_CONFIG_HOME/pdxtui``)."""

from __future__ import annotations

import pytest

from pdxtui.cli import main


@pytest.fixture
def no_key(fake_portlandmaps, monkeypatch):
    monkeypatch.delenv("PDXTUI_PORTLANDMAPS_KEY", raising=False)
    return fake_portlandmaps


def test_cli_names_the_config_file_from_the_environment(no_key, capsys, tmp_path):
    import os

    code = main(["address", "1120 SW 5th Ave"])
    err = capsys.readouterr().err
    assert code == 1 and os.environ["PDXTUI_CONFIG"] in err and err.count("\n") == 1
    assert no_key.requests == []


def test_cli_names_the_xdg_config_file(no_key, capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("PDXTUI_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert main(["property", "R246993"]) == 1
    assert str(tmp_path / "xdg" / "pdxtui" / "config.toml") in capsys.readouterr().err


def test_cli_names_the_config_flag(no_key, capsys, tmp_path):
    given = tmp_path / "elsewhere.toml"
    assert main(["address", "--config", str(given), "1120 SW 5th Ave"]) == 1
    assert str(given) in capsys.readouterr().err


async def test_address_screen_names_the_config_file(no_key, tmp_path, monkeypatch):
    from pdxtui.config import load_config
    from pdxtui.ui.screens.address import AddressScreen
    from tests.support.uihelpers import demo_app, settle

    monkeypatch.delenv("PDXTUI_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    given = tmp_path / "given.toml"
    app = demo_app()
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        app.push_screen(AddressScreen())  # no config given: the one the app would read
        await pilot.pause()
        assert str(tmp_path / "xdg" / "pdxtui" / "config.toml") in app.screen.query_one("#no-key").content.plain
        app.pop_screen()
        app.push_screen(AddressScreen(config=load_config(given)))  # the session's (pdxtui --config FILE)
        await pilot.pause()
        assert str(given) in app.screen.query_one("#no-key").content.plain
        assert "pdxtui --help shows" not in app.screen.query_one("#no-key").content.plain


def test_help_names_the_config_file(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("PDXTUI_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    with pytest.raises(SystemExit):
        main(["address", "--help"])
    out = capsys.readouterr().out.replace("\n", " ")
    assert str(tmp_path / "xdg" / "pdxtui" / "config.toml") in out
