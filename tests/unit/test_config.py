from __future__ import annotations

import os
import stat
import tomllib

import pytest

from pdxtui.config import (
    Config,
    Requester,
    default_config_path,
    load_config,
    profiles_from_config,
    save_requester,
    toml_string,
)
from pdxtui.errors import UsageError
from pdxtui.portals import PortalSpec, parse_portal

FULL = """\
default_portal = "portland"

[portals.portland]
kind = "arcgis"
url = "https://gis-pdx.opendata.arcgis.com/"

[portals.chicago]
kind = "socrata"
url = "https://data.cityofchicago.org"
token = "chi-token"

[tokens]
portland = "pdx-token"

[requester]
name = "Ada Lovelace"
email = "ada@example.org"

[cache]
size_limit = 5000000
ttl = { catalog = 60, rows = 120 }

[net]
connect_timeout = 3
read_timeout = 7.5
max_per_host = 2
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("PDXTUI_PORTAL", "PDXTUI_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PDXTUI_CONFIG", str(tmp_path / "config.toml"))


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path):
    cfg = load_config(tmp_path / "none.toml")
    assert cfg == Config(path=tmp_path / "none.toml")
    assert cfg.default_portal == "portland"
    assert cfg.cache.size_limit == 1 << 30
    assert cfg.cache.ttl == {"catalog": 3600, "metadata": 86400, "rows": 86400}
    assert (cfg.net.connect_timeout, cfg.net.read_timeout, cfg.net.max_per_host) == (10, 30, 6)
    assert cfg.requester == Requester()
    assert cfg.warnings == ()
    assert cfg.token_for("demo") is None


def test_path_from_env(tmp_path, monkeypatch):
    assert default_config_path() == tmp_path / "config.toml"
    write(tmp_path, 'default_portal = "x"\n')
    assert load_config().default_portal == "x"
    monkeypatch.delenv("PDXTUI_CONFIG")
    assert default_config_path().name == "config.toml" and default_config_path().parent.name == "pdxtui"


def test_full_file(tmp_path):
    cfg = load_config(write(tmp_path, FULL))
    assert cfg.warnings == ()
    assert cfg.default_portal == "portland"
    assert cfg.portals["portland"] == {"kind": "arcgis", "url": "https://gis-pdx.opendata.arcgis.com"}
    assert cfg.portals["chicago"]["token"] == "chi-token"
    assert cfg.token_for("portland") == "pdx-token"
    assert cfg.token_for("chicago") == "chi-token"
    assert cfg.requester.name == "Ada Lovelace" and cfg.requester.phone == ""
    assert cfg.cache.size_limit == 5_000_000
    assert cfg.cache.ttl == {"catalog": 60, "metadata": 86400, "rows": 120}
    assert (cfg.net.connect_timeout, cfg.net.read_timeout, cfg.net.max_per_host) == (3, 7.5, 2)


def test_env_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("PDXTUI_PORTAL", "chicago")
    monkeypatch.setenv("PDXTUI_APP_TOKEN", "env-token")
    cfg = load_config(write(tmp_path, FULL))
    assert cfg.default_portal == "chicago"
    assert cfg.token_for("portland") == "env-token"
    assert cfg.token_for("chicago") == "env-token"


def test_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, 'default_portal = "demo"\n\n[requester]\nname = Ada\n')
    with pytest.raises(UsageError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}:4: config file syntax error")
    assert "double quotes" in message


def test_syntax_error_duplicate_table(tmp_path):
    path = write(tmp_path, "[net]\nmax_per_host = 2\n[net]\nmax_per_host = 3\n")
    with pytest.raises(UsageError, match=r"config.toml:3: .*appears twice"):
        load_config(path)


def test_unknown_keys_warn_with_line_and_suggestion(tmp_path):
    text = (
        'defualt_portal = "x"\n'  # 1
        "[cache]\n"  # 2
        "sizelimit = 10\n"  # 3
        "ttl = { catalgo = 5 }\n"  # 4
        "[requester]\n"  # 5
        'emial = "a@b"\n'  # 6
        "[portals.p]\n"  # 7
        'kind = "ckan"\n'  # 8
        'url = "https://ckan.example"\n'  # 9
        'tokn = "t"\n'  # 10
        "[wat]\n"  # 11
    )
    cfg = load_config(write(tmp_path, text))
    w = "\n".join(cfg.warnings)
    assert "config.toml:1: unknown key 'defualt_portal' ignored; did you mean 'default_portal'?" in w
    assert "config.toml:3: unknown key 'cache.sizelimit' ignored; did you mean 'cache.size_limit'?" in w
    assert "config.toml:4: unknown key 'cache.ttl.catalgo' ignored; did you mean 'cache.ttl.catalog'?" in w
    assert "config.toml:6: unknown key 'requester.emial' ignored; did you mean 'requester.email'?" in w
    assert "config.toml:10: unknown key 'portals.p.tokn' ignored; did you mean 'portals.p.token'?" in w
    assert "config.toml:11: unknown key 'wat' ignored; known keys:" in w
    assert len(cfg.warnings) == 6
    assert cfg.default_portal == "portland" and "p" in cfg.portals


@pytest.mark.parametrize("value", ["17", "1000", "2.5", '"8"', "-3"])
def test_max_per_host_is_a_whole_number_from_1_to_16(tmp_path, value):
    cfg = load_config(write(tmp_path, f"[net]\nmax_per_host = {value}\n"))
    assert cfg.net.max_per_host == 6
    message = "net.max_per_host should be a whole number from 1 to 16; using 6"
    assert cfg.warnings == (f"{tmp_path / 'config.toml'}:2: {message}",)
    assert load_config(write(tmp_path, "[net]\nmax_per_host = 16\n")).net.max_per_host == 16
    assert load_config(write(tmp_path, "[net]\nmax_per_host = 1\n")).net.max_per_host == 1


def test_bad_values_warn_and_use_defaults(tmp_path):
    text = (
        "default_portal = 3\n"
        '[cache]\nsize_limit = "big"\n'
        "[net]\nmax_per_host = 0\nread_timeout = true\n"
        '[portals.x]\nkind = "ftp"\nurl = "https://x"\n'
        '[portals.y]\nkind = "arcgis"\nurl = "gis.example"\n'
    )
    cfg = load_config(write(tmp_path, text))
    assert cfg.default_portal == "portland"
    assert cfg.cache.size_limit == 1 << 30
    assert cfg.net.max_per_host == 6 and cfg.net.read_timeout == 30
    assert cfg.portals == {}
    w = "\n".join(cfg.warnings)
    assert "config.toml:1: default_portal should be a string" in w
    assert "config.toml:3: cache.size_limit should be a positive whole number" in w
    assert "config.toml:5: net.max_per_host should be a whole number from 1 to 16; using 6" in w
    assert "portals.x.kind must be one of" in w
    assert "config.toml:10: portals.y.url must start with http" in w


def test_profiles_from_config(tmp_path):
    cfg = load_config(write(tmp_path, FULL + '\n[portals.demo]\nkind = "ckan"\nurl = "https://evil.example"\n'))
    profiles = profiles_from_config(cfg)
    assert profiles["portland"] == PortalSpec("portland", "arcgis", "https://gis-pdx.opendata.arcgis.com")
    assert profiles["chicago"].kind == "socrata"
    assert "demo" not in profiles  # built-ins cannot be redefined
    assert parse_portal("portland", profiles).url == "https://gis-pdx.opendata.arcgis.com"


def test_save_requester_new_file(tmp_path):
    path = tmp_path / "sub" / "config.toml"
    save_requester(Requester(name='Ada "the" Countess', address="1 Main St\nPortland, OR"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cfg = load_config(path)
    assert cfg.requester.name == 'Ada "the" Countess'
    assert cfg.requester.address == "1 Main St\nPortland, OR"
    assert cfg.warnings == ()


def test_save_requester_replaces_table_and_keeps_the_rest(tmp_path):
    path = write(tmp_path, "# my settings\n" + FULL)
    save_requester({"name": "Grace", "phone": "503-555-0100"}, path)
    text = path.read_text()
    assert text.startswith("# my settings\n")
    assert text.count("[requester]") == 1
    cfg = load_config(path)
    assert cfg.requester == Requester(name="Grace", phone="503-555-0100")
    assert cfg.cache.size_limit == 5_000_000 and cfg.portals["chicago"]["token"] == "chi-token"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".config-")]  # no temp files left


def test_save_requester_refuses_broken_or_inline(tmp_path):
    path = write(tmp_path, "[net\n")
    with pytest.raises(UsageError, match=r"config.toml:1"):
        save_requester(Requester(name="x"), path)
    assert path.read_text() == "[net\n"
    path = write(tmp_path, 'requester = { name = "a" }\n')
    with pytest.raises(UsageError, match="by hand"):
        save_requester(Requester(name="x"), path)
    with pytest.raises(UsageError, match="unknown requester field"):
        save_requester({"nmae": "x"}, path)


@pytest.mark.parametrize("value", ["", "plain", 'q"uote', "back\\slash", "tab\tnl\ncr\r", "\x00\x1f\x7f", "ünï ☃"])
def test_toml_string_round_trips(value):
    assert tomllib.loads(f"v = {toml_string(value)}")["v"] == value


def test_throttle_wait_reaches_the_fetcher(tmp_path):
    from pdxtui.session import open_session

    path = tmp_path / "config.toml"
    path.write_text("[net]\nthrottle_wait = 2.5\n", encoding="utf-8")
    session = open_session(portal="arcgis:http://127.0.0.1:9/hub", config_path=str(path))
    assert session.config.net.throttle_wait == 2.5 and not session.warnings
    fetcher = session.fetcher()
    assert fetcher.throttle_wait == 2.5
    fetcher.store.close()
