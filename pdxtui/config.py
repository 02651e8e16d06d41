"""The TOML config file: default portal, named portals, app tokens, the requester profile for drafts, cache
and network settings.

Location: ``$PDXTUI_CONFIG``, else ``<user config dir>/pdxtui/config.toml``. A missing file means defaults.
``PDXTUI_PORTAL`` and ``PDXTUI_APP_TOKEN`` override the file. Example::

    default_portal = "portland"

    [portals.portland]
    kind = "arcgis"
    url = "https://gis-pdx.opendata.arcgis.com"

    [tokens]
    chicago = "app-token-here"

    [requester]
    name = "Ada Lovelace"
    email = "ada@example.org"

    [cache]
    size_limit = 1073741824
    ttl = { catalog = 3600, metadata = 86400, rows = 86400 }

    [net]
    connect_timeout = 10
    read_timeout = 30
    max_per_host = 6            # requests in flight at once to one host, 1 to 16
    throttle_wait = 10          # seconds, when a search allowance is used up and the server says not how long

    [portlandmaps]              # the PortlandMaps API (address lookup); or PDXTUI_PORTLANDMAPS_KEY
    api_key = "your-key"
    rate = "200/15min"          # requests / time (s, min, h)
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pdxtui.errors import UsageError
from pdxtui.portals import BUILTIN_PROFILES, DEFAULT_PORTAL, PORTAL_KINDS, PortalSpec

ENV_CONFIG = "PDXTUI_CONFIG"
ENV_PORTAL = "PDXTUI_PORTAL"
ENV_APP_TOKEN = "PDXTUI_APP_TOKEN"

DEFAULT_SIZE_LIMIT = 1 << 30
DEFAULT_TTL = {"catalog": 3600.0, "metadata": 86400.0, "rows": 86400.0}


@dataclass(frozen=True)
class Requester:
    """Who is asking, for drafted data requests. Every field may be empty."""

    name: str = ""
    email: str = ""
    phone: str = ""
    organisation: str = ""
    address: str = ""


@dataclass(frozen=True)
class CacheConfig:
    size_limit: int = DEFAULT_SIZE_LIMIT
    ttl: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TTL))


#: the most ``net.max_per_host`` may be: past it one terminal would look like a flood to a City server (and the
#: client keeps only 20 idle connections alive)
MAX_PER_HOST = 16


@dataclass(frozen=True)
class NetConfig:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    #: requests in flight at once to one host: 6, as a web browser opens to one host over HTTP/1.1 (a map viewer of
    #: the same server does no less); BENCHMARKS.md "Fetch" has the reasoning and the figures
    max_per_host: int = 6
    #: seconds to wait when a server said its allowance is used up (the Hub's search throttle) without saying
    #: for how long
    throttle_wait: float = 10.0


@dataclass(frozen=True)
class PortlandMapsConfig:
    """The PortlandMaps API: key (None: not set), base URL (tests point it at a fake) and rate limit."""

    api_key: str | None = None
    url: str = ""
    rate: tuple[int, float] = (200, 900.0)


@dataclass(frozen=True)
class Config:
    default_portal: str = DEFAULT_PORTAL
    portals: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> {"kind", "url", "token"?}
    tokens: dict[str, str] = field(default_factory=dict)  # portal name -> token
    requester: Requester = field(default_factory=Requester)
    cache: CacheConfig = field(default_factory=CacheConfig)
    net: NetConfig = field(default_factory=NetConfig)
    portlandmaps: PortlandMapsConfig = field(default_factory=PortlandMapsConfig)
    app_token: str | None = None  # from PDXTUI_APP_TOKEN: wins for whichever portal is opened
    path: Path | None = None
    warnings: tuple[str, ...] = ()

    def token_for(self, portal: str) -> str | None:
        """The app token for a portal name: PDXTUI_APP_TOKEN, else [tokens], else the portal's own entry."""
        return self.app_token or self.tokens.get(portal) or self.portals.get(portal, {}).get("token") or None


def default_config_path() -> Path:
    env = os.environ.get(ENV_CONFIG, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("pdxtui")) / "config.toml"


# -- loading ----------------------------------------------------------------------------------------------

_TOP_KEYS = ("default_portal", "portals", "tokens", "requester", "cache", "net", "portlandmaps")
_PORTLANDMAPS_KEYS = ("api_key", "rate", "url")
_PORTAL_KEYS = ("kind", "url", "token")
_REQUESTER_KEYS = tuple(f.name for f in fields(Requester))
_CACHE_KEYS = ("size_limit", "ttl")
_NET_KEYS = tuple(f.name for f in fields(NetConfig))
_TTL_KINDS = tuple(DEFAULT_TTL)


class _Reader:
    """Walks the parsed TOML, collecting warnings with line numbers found in the raw text."""

    def __init__(self, text: str, path: Path) -> None:
        self.lines = text.splitlines()
        self.path = path
        self.warnings: list[str] = []

    def line_of(self, dotted: str) -> int | None:
        """Best-effort line number of a key (``a.b.c``) or table header, for messages."""
        parts = dotted.split(".")
        last = re.escape(parts[-1])
        key_re = re.compile(rf"""^\s*(?:[\w.\-"' ]+\.)?["']?{last}["']?\s*=""")
        inline_re = re.compile(rf"""[{{,]\s*["']?{last}["']?\s*=""")
        header_re = re.compile(rf"""^\s*\[\[?\s*{re.escape(dotted)}\s*\]""")
        parent = ".".join(parts[:-1])
        parent_re = re.compile(rf"""^\s*\[\[?\s*{re.escape(parent)}\s*\]""") if parent else None
        in_parent = parent_re is None
        for number, line in enumerate(self.lines, 1):
            if header_re.match(line):
                return number
            if parent_re is not None and re.match(r"^\s*\[", line):
                in_parent = bool(parent_re.match(line))
            if (in_parent and key_re.match(line)) or (parent and parts[-2] in line and inline_re.search(line)):
                return number
        for number, line in enumerate(self.lines, 1):  # dotted keys, or anything else that names it
            if key_re.match(line):
                return number
        return None

    def warn(self, dotted: str, message: str) -> None:
        line = self.line_of(dotted)
        where = f"{self.path}:{line}" if line else str(self.path)
        self.warnings.append(f"{where}: {message}")

    def unknown(self, table: Mapping[str, Any], known: tuple[str, ...], prefix: str = "") -> None:
        for name in table:
            if name not in known:
                dotted = f"{prefix}{name}"
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                hint = f"; did you mean {prefix + close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
                self.warn(dotted, f"unknown key {dotted!r} ignored{hint}")

    def table(self, data: Mapping[str, Any], name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if isinstance(value, dict):
            return value
        self.warn(name, f"{name!r} should be a table like [{name}]; ignored")
        return {}

    def string(self, table: Mapping[str, Any], key: str, dotted: str, default: str) -> str:
        value = table.get(key, default)
        if isinstance(value, str):
            return value
        self.warn(dotted, f"{dotted} should be a string in quotes; using {default!r}")
        return default

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        dotted: str,
        default: float,
        *,
        integer: bool = False,
        most: int | None = None,
    ) -> Any:
        """A positive number (whole with ``integer``, and with ``most`` a whole number from 1 to ``most``)."""
        value = table.get(key, default)
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if ok and not isinstance(value, bool) and value > 0 and (most is None or value <= most):
            return value
        what = "a positive whole number" if integer else "a positive number"
        if most is not None:
            what = f"a whole number from 1 to {most}"
        self.warn(dotted, f"{dotted} should be {what}; using {default}")
        return default


def _syntax_error(path: Path, exc: tomllib.TOMLDecodeError) -> UsageError:
    text = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", text)
    line = match.group(1) if match else "?"
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", text) or "invalid TOML"
    lower = message.lower()
    if "invalid value" in lower:
        hint = 'put text values in double quotes, e.g. name = "Ada"'
    elif "expected '='" in lower or "after a key" in lower:
        hint = "each setting needs the form key = value"
    elif "cannot overwrite" in lower or "cannot declare" in lower or "already" in lower:
        hint = "a key or [table] appears twice; keep one"
    elif "unclosed" in lower or "expected ']'" in lower or "illegal character" in lower:
        hint = "check brackets and quotes on that line"
    else:
        hint = "check that line against the TOML syntax (https://toml.io)"
    return UsageError(f"{path}:{line}: config file syntax error: {message}; {hint}")


def load_config(path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (``path``, else ``$PDXTUI_CONFIG``, else the user config dir) and apply env overrides.

    A missing file gives defaults; a syntax error raises UsageError naming the file and line; unknown keys and
    wrongly typed values become ``Config.warnings`` (and their defaults are used).
    """
    env = os.environ if env is None else env
    target = Path(path).expanduser() if path else default_config_path()
    data: dict[str, Any] = {}
    text = ""
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{target}: cannot read config file ({exc})") from None
    if text:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _syntax_error(target, exc) from None

    r = _Reader(text, target)
    r.unknown(data, _TOP_KEYS)
    default_portal = r.string(data, "default_portal", "default_portal", DEFAULT_PORTAL)

    portals: dict[str, dict[str, str]] = {}
    for name, entry in r.table(data, "portals").items():
        dotted = f"portals.{name}"
        if not isinstance(entry, dict):
            r.warn(dotted, f"{dotted} should be a table with kind and url; ignored")
            continue
        r.unknown(entry, _PORTAL_KEYS, f"{dotted}.")
        kind = str(entry.get("kind", "")).lower()
        url = str(entry.get("url", "")).strip().rstrip("/")
        if kind not in PORTAL_KINDS:
            r.warn(dotted, f"{dotted}.kind must be one of {', '.join(PORTAL_KINDS)}, not {kind!r}; portal ignored")
            continue
        parts = urlsplit(url)
        if kind != "bundled" and (parts.scheme not in ("http", "https") or not parts.hostname):
            r.warn(dotted, f"{dotted}.url must start with http:// or https://; portal ignored")
            continue
        spec = {"kind": kind, "url": url}
        if isinstance(entry.get("token"), str) and entry["token"]:
            spec["token"] = entry["token"]
        portals[str(name)] = spec

    tokens: dict[str, str] = {}
    for name, token in r.table(data, "tokens").items():
        if isinstance(token, str):
            tokens[str(name)] = token
        else:
            r.warn(f"tokens.{name}", f"tokens.{name} should be a string in quotes; ignored")

    req = r.table(data, "requester")
    r.unknown(req, _REQUESTER_KEYS, "requester.")
    requester = Requester(**{k: r.string(req, k, f"requester.{k}", "") for k in _REQUESTER_KEYS})

    cache = r.table(data, "cache")
    r.unknown(cache, _CACHE_KEYS, "cache.")
    size_limit = r.number(cache, "size_limit", "cache.size_limit", DEFAULT_SIZE_LIMIT, integer=True)
    ttl = dict(DEFAULT_TTL)
    ttl_table = cache.get("ttl", {})
    if isinstance(ttl_table, dict):
        r.unknown(ttl_table, _TTL_KINDS, "cache.ttl.")
        for kind in _TTL_KINDS:
            ttl[kind] = float(r.number(ttl_table, kind, f"cache.ttl.{kind}", DEFAULT_TTL[kind]))
    else:
        r.warn("cache.ttl", "cache.ttl should be a table like { catalog = 3600 }; ignored")

    net = r.table(data, "net")
    r.unknown(net, _NET_KEYS, "net.")
    defaults = NetConfig()
    net_cfg = NetConfig(
        connect_timeout=float(r.number(net, "connect_timeout", "net.connect_timeout", defaults.connect_timeout)),
        read_timeout=float(r.number(net, "read_timeout", "net.read_timeout", defaults.read_timeout)),
        max_per_host=int(
            r.number(net, "max_per_host", "net.max_per_host", defaults.max_per_host, integer=True, most=MAX_PER_HOST)
        ),
        throttle_wait=float(r.number(net, "throttle_wait", "net.throttle_wait", defaults.throttle_wait)),
    )

    pm = r.table(data, "portlandmaps")
    r.unknown(pm, _PORTLANDMAPS_KEYS, "portlandmaps.")
    pm_key = r.string(pm, "api_key", "portlandmaps.api_key", "").strip() or None
    pm_url = r.string(pm, "url", "portlandmaps.url", "").strip().rstrip("/")
    if pm_url and urlsplit(pm_url).scheme not in ("http", "https"):
        r.warn("portlandmaps.url", "portlandmaps.url must start with http:// or https://; using the default")
        pm_url = ""
    pm_rate = PortlandMapsConfig().rate
    if "rate" in pm:
        from pdxtui.portlandmaps import parse_rate

        try:
            pm_rate = parse_rate(pm["rate"]) if not isinstance(pm["rate"], bool) else parse_rate("")
        except UsageError as exc:
            r.warn("portlandmaps.rate", f"portlandmaps.{exc}; using 200/15min")

    default_portal = env.get(ENV_PORTAL, "").strip() or default_portal
    app_token = env.get(ENV_APP_TOKEN, "").strip() or None
    return Config(
        default_portal=default_portal,
        portals=portals,
        tokens=tokens,
        requester=requester,
        cache=CacheConfig(size_limit=int(size_limit), ttl=ttl),
        net=net_cfg,
        portlandmaps=PortlandMapsConfig(api_key=pm_key, url=pm_url, rate=pm_rate),
        app_token=app_token,
        path=target,
        warnings=tuple(r.warnings),
    )


def profiles_from_config(cfg: Config) -> dict[str, PortalSpec]:
    """Named portals from the config, as PortalSpecs for ``parse_portal(value, profiles)``.
    ``demo`` (the bundled snapshot) cannot be redefined; other built-ins such as ``portland`` can be pointed
    elsewhere, for example if the City's portal moves."""
    return {
        name: PortalSpec(name, entry["kind"], entry["url"])
        for name, entry in cfg.portals.items()
        if BUILTIN_PROFILES.get(name, PortalSpec(name, "")).kind != "bundled"
    }


# -- writing the requester profile --------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """A TOML basic string literal for ``value``."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


_REQUESTER_HEADER = re.compile(r"^\s*\[\s*requester\s*\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


def save_requester(profile: Requester | Mapping[str, str], path: str | os.PathLike[str] | None = None) -> Path:
    """Write or replace the [requester] table, keeping the rest of the file. Atomic (export's one writer: temp
    file, fsync, rename), readable by its owner only. Returns the path written."""
    target = Path(path).expanduser() if path else default_config_path()
    values = asdict(profile) if isinstance(profile, Requester) else dict(profile)
    unknown = sorted(set(values) - set(_REQUESTER_KEYS))
    if unknown:
        raise UsageError(f"unknown requester field(s): {', '.join(unknown)}")
    section = ["[requester]"] + [f"{k} = {toml_string(str(values.get(k) or ''))}" for k in _REQUESTER_KEYS]

    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{target}: cannot read config file ({exc})") from None
    if text:
        try:
            existing = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _syntax_error(target, exc) from None
    else:
        existing = {}

    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _REQUESTER_HEADER.match(line)), None)
    if start is None:
        if "requester" in existing:
            raise UsageError(f"{target}: requester is not written as a [requester] table; edit it by hand")
        while lines and not lines[-1].strip():
            lines.pop()
        new_lines = lines + ([""] if lines else []) + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[i])), len(lines))
        tail = lines[end:]
        new_lines = lines[:start] + section + ([""] if tail else []) + tail
    new_text = "\n".join(new_lines) + "\n"
    tomllib.loads(new_text)  # never write a file we could not read back

    from pdxtui.export.target import write_text_atomic

    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, new_text, overwrite=True, mode=0o600)  # 0o600: the file may hold app tokens
    return target


def known_secrets(config: Config) -> list[str]:
    """Every token pdxtui knows of: the config's, and PDXTUI_* variables that look like secrets."""
    found = [config.app_token or "", *config.tokens.values()]
    found += [entry.get("token", "") for entry in config.portals.values()]
    found += [
        value
        for name, value in os.environ.items()
        if name.startswith("PDXTUI_") and any(w in name for w in ("TOKEN", "KEY", "SECRET", "PASSWORD"))
    ]
    return [s for s in found if isinstance(s, str) and s.strip()]
