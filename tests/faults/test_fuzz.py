"""Property tests (hypothesis) with small budgets, run on every CI build:

* every wire format, through the real portal code: a real answer of the fake portal (Hub records, layer JSON,
  query pages; Socrata catalog, views and rows; CKAN envelopes and datastore pages) with 1-3 of its values
  replaced by arbitrary JSON (or its bytes cut or scribbled on) either reads into model objects or raises a
  one-line ``PdxError``: never another exception, never a crash;
* the bytes layer: ``Fetcher.parse_json``, ``server_message``, ``parse_retry_after`` on arbitrary input;
* the filter language on arbitrary text (the existing properties in test_filters.py cover literals, odd column
  names and translations of well-formed trees; these cover garbage in) and every translator of what parses;
* the export path checks on arbitrary file names;
* ``textsafe`` on arbitrary text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pathlib
import tempfile
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pdxtui.errors import PdxError
from pdxtui.model import SearchRequest
from tests.faults.test_faults import PORTAL_KINDS, loopback_only  # noqa: F401 (autouse: no name lookup leaves the host)
from tests.unit.test_filters import FIELDS

#: every property here is derandomized: CI runs the same cases each time (a failure is reproducible, never a fluke);
#: PDXTUI_FUZZ_RANDOM=1 explores new cases (FUZZ_EXAMPLES=N for more of the portal flows)
DERANDOMIZE = "PDXTUI_FUZZ_RANDOM" not in os.environ
FAST = settings(max_examples=40, deadline=None, derandomize=DERANDOMIZE)
FLOW = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def _paths(value: Any, path: tuple = (), out: list | None = None, limit: int = 3000) -> list[tuple]:
    """Paths to every node of a JSON value (the first ``limit``), root included."""
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    out.append(path)
    if isinstance(value, dict):
        for key, child in value.items():
            _paths(child, (*path, key), out, limit)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _paths(child, (*path, index), out, limit)
    return out


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


#: how to mangle one answer, drawn before anything is fetched (so the draws never depend on what the server sent)
PLANS = st.fixed_dictionaries(
    {
        "how": st.sampled_from(["values", "values", "values", "cut", "scribble"]),
        "spots": st.lists(st.tuples(st.floats(0, 1, exclude_max=True), JSON), min_size=1, max_size=3),
        "at": st.floats(0, 1, exclude_max=True),
        "junk": st.binary(min_size=1, max_size=12),
    }
)


def _mutate(body: bytes, plan: dict) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    how = plan["how"] if data is not None else ("cut" if plan["how"] == "values" else plan["how"])
    at = int(plan["at"] * len(body))
    if how == "cut":
        return body[:at]
    if how == "scribble":
        return body[:at] + plan["junk"] + body[at + 1 :]
    for where, value in plan["spots"]:
        paths = _paths(data)
        data = _replace(data, paths[int(where * len(paths))], value)
    return json.dumps(data).encode()


def _fuzzing_fetcher(portal_name: str, plan: dict, victim: int):
    """A real Fetcher (real HTTP to the fake portal, no cache) whose ``victim``-th answer is mangled by ``plan``."""
    from pdxtui.net import Fetcher

    class Fuzzing(Fetcher):
        seen = 0

        async def _download(self, url, params, headers, cap=None):
            status, ctype, body = await super()._download(url, params, headers, cap)
            Fuzzing.seen += 1
            if Fuzzing.seen - 1 == victim:
                body = _mutate(body, plan)
            return status, ctype, body

    return Fuzzing(portal_name)


async def _flow(portal: Any, dataset_id: str) -> str:
    """Search, open, preview: "ok", or "error" after a one-line PdxError."""
    try:
        result = await portal.search(SearchRequest(text="", limit=5))
        for hit in result.hits:
            assert isinstance(hit.title, str) and isinstance(hit.id, str)
        dataset = await portal.dataset(dataset_id)
        assert isinstance(dataset.title, str)
        from pdxtui.service import Service

        await Service(portal).preview(dataset, rows=20)
        return "ok"
    except PdxError as exc:
        message = str(exc)
        assert message and "\n" not in message.strip() and "Traceback" not in message
        return "error"
    finally:
        await portal.aclose()


@pytest.mark.parametrize("kind_name", list(PORTAL_KINDS))
def test_wire_formats_survive_mangled_answers(request, kind_name):
    from pdxtui.portals import open_portal, parse_portal

    kind = PORTAL_KINDS[kind_name]
    server = request.getfixturevalue(kind.fixture)
    spec = parse_portal(kind.portal(server.url))

    outcomes: list[str] = []

    @FLOW
    @given(plan=PLANS, victim=st.integers(0, 5))
    def check(plan, victim):
        fetcher = _fuzzing_fetcher(f"{spec.kind}:{spec.url}", plan, victim)
        portal = open_portal(spec, fetcher=fetcher, close_fetcher=True)
        outcomes.append(asyncio.run(_flow(portal, kind.dataset_id)))

    check()
    assert "error" in outcomes  # the mangling bites (some answers are refused)...
    assert "ok" in outcomes  # ...and the flow does get through (some mangled values are read, or not reached)


# --- the bytes layer ---------------------------------------------------------------------------------------------


@FAST
@given(
    body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode),
    ctype=st.sampled_from(["application/json", "text/html", "", "text/plain; charset=utf-8"]),
)
@example(body=b"[" * 100_000 + b"]" * 100_000, ctype="application/json")  # was a RecursionError
@example(body=b'{"a": "\\ud800"}', ctype="application/json")
def test_parse_json_returns_or_raises_a_portal_error(body, ctype):
    from pdxtui.errors import PortalError
    from pdxtui.net import Fetcher

    fetcher = Fetcher("fuzz")
    try:
        fetcher.parse_json("http://127.0.0.1/x", body, ctype)
    except PortalError as exc:
        assert "127.0.0.1" in str(exc)


@FAST
@given(body=st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()))
def test_server_message_is_one_short_line(body):
    from pdxtui.net import server_message

    message = server_message(body)
    assert isinstance(message, str) and "\n" not in message and len(message) <= 200


@FAST
@given(value=st.none() | st.text(max_size=40))
def test_retry_after_is_none_or_a_wait(value):
    from pdxtui.net import parse_retry_after

    wait = parse_retry_after(value, now=1_700_000_000)
    assert wait is None or (wait >= 0 and wait == wait)


@FAST
@given(text=st.text(max_size=300), limit=st.none() | st.integers(1, 80))
def test_textsafe_output_is_always_inert(text, limit):
    from pdxtui.textsafe import clean, one_line
    from tests.support.hostile import bad_chars

    cleaned, line = clean(text, max_len=limit), one_line(text, limit)
    assert bad_chars(cleaned) == [] and bad_chars(line) == []
    assert "\n" not in line
    if limit is not None:
        assert len(cleaned) <= limit and len(line) <= limit
    cleaned.encode("utf-8")


# --- the filter language: garbage in -----------------------------------------------------------------------------

FILTER_WORDS = st.sampled_from(
    [
        "SPECIES",
        "DIAMETER",
        "Condition",
        "DATE_DESIG",
        "and",
        "or",
        "not",
        "is",
        "null",
        "(",
        ")",
        "=",
        "!=",
        "<",
        ">=",
        "~",
        "!~",
        "'",
        '"',
        "Good",
        "2020-01-01",
        "3.5",
        "-",
        "\\",
        " ",
        "\x00",
        "\u202e",
        "東京",
        "1e999",
        "2020-13-45",
        "''",
    ]
)
FILTER_TEXT = st.lists(FILTER_WORDS | st.text(max_size=6), max_size=12).map(" ".join) | st.text(max_size=60)


@settings(max_examples=150, deadline=None, derandomize=DERANDOMIZE)
@given(text=FILTER_TEXT)
def test_filter_parser_and_translators_never_crash(text):
    from pdxtui.filters import FilterError, caret, describe, parse, to_arcgis, to_ckan, to_polars, to_soql, to_text
    from pdxtui.textsafe import clean

    try:
        node = parse(text, FIELDS)
    except FilterError as err:
        shown = caret(text, err)
        assert isinstance(shown, str) and "^" in shown
        assert clean(shown) == shown or "\x00" in text or any(ch in text for ch in "\u202e\x1b")
        return
    if node is None:
        return
    for translate in (
        lambda n: to_arcgis(n, FIELDS),
        lambda n: to_soql(n, FIELDS),
        lambda n: to_ckan(n, FIELDS),
        to_polars,
        describe,
        to_text,
    ):
        with contextlib.suppress(FilterError):  # e.g. NotServerSide: said in one line, this portal cannot run it
            translate(node)
    assert parse(to_text(node), FIELDS) == node  # what parsed prints back to the same tree


# --- export path checks --------------------------------------------------------------------------------------------

NAMES = st.text(min_size=0, max_size=40) | st.sampled_from(
    [
        "",
        ".",
        "..",
        "/",
        "a/",
        "nul\x00.csv",
        "x" * 300 + ".csv",
        "-rf.csv",
        "con.csv",
        ".hidden.csv",
        "a b.csv",
        "東京.csv",
        "\u202ecsv.exe",
        "~/x.csv",
        "a.CSV",
        "no-extension",
        "sub/missing/x.csv",
    ]
)


@settings(max_examples=60, deadline=None, derandomize=DERANDOMIZE)
@given(name=NAMES, overwrite=st.booleans(), existing=st.booleans())
def test_export_path_checks(name, overwrite, existing):
    """Whatever the name: a one-line ExportError and nothing left behind, or exactly that file, complete."""
    import polars as pl

    from pdxtui.export import ExportError, ExportOptions, check_target, export_frame

    frame = pl.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    with tempfile.TemporaryDirectory() as folder:
        target = os.path.join(folder, name)
        before = None
        if existing and name and "/" not in name and "\x00" not in name and name not in (".", ".."):
            try:
                with open(target, "w") as handle:
                    handle.write("old\n")
                before = "old\n"
            except OSError:
                pass
        try:
            checked = check_target(target, overwrite)
        except ExportError as exc:
            checked, problem = None, str(exc)
            assert _one_line_unless_the_name_is_not(problem, name)
        try:
            export_frame(frame, target, ExportOptions(format="csv", overwrite=overwrite))
        except ExportError as exc:
            assert _one_line_unless_the_name_is_not(str(exc), name)
            assert [n for n in _all_files(folder) if ".pdxtui-tmp-" in n] == []
            if before is not None:
                assert pathlib.Path(target).read_text() == before  # the old file is untouched
            return
        assert checked is not None, "check_target refused what export_frame then wrote"
        with open(checked, "rb") as handle:  # (a path string would be read as a glob pattern: "[")
            assert pl.read_csv(handle).height == 2
        assert [n for n in _all_files(folder) if ".pdxtui-tmp-" in n] == []


def _one_line_unless_the_name_is_not(message: str, name: str) -> bool:
    """Export messages quote the path as given; a name with a line break makes them two lines. What people see
    is made one line where it is shown (the CLI and the app pass every message through textsafe.one_line)."""
    if not message.strip():
        return False
    return "\n" not in message or "\n" in name


def _all_files(folder: str) -> list[str]:
    return [name for _, _, files in os.walk(folder) for name in files]


@settings(max_examples=60, deadline=None, derandomize=DERANDOMIZE)
@given(title=st.text(max_size=80), fmt=st.sampled_from(["csv", "parquet", "xlsx", "geojson", "json"]))
def test_suggested_filenames_are_safe(title, fmt):
    from pdxtui.export import suggested_filename
    from pdxtui.model import Dataset
    from tests.support.hostile import bad_chars

    name = suggested_filename(Dataset(id="x", title=title), fmt)
    assert name and "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith((".", "-")) and len(name.encode()) <= 255
    assert bad_chars(name) == []


# --- what the fuzzing found in code owned elsewhere (left for its owners; each flips to a pass when fixed) ----------


def test_ckan_package_with_resources_that_are_not_a_list():
    pytest.importorskip("pdxtui.portals.ckan")
    from pdxtui.portals import open_portal, parse_portal

    portal = open_portal(parse_portal("ckan:http://127.0.0.1:9"))
    summary = portal._summary({"name": "x", "title": "X", "resources": 1})  # found by fuzzing (seed 5)
    assert summary.id == "x"


@settings(max_examples=300, deadline=None, derandomize=DERANDOMIZE)
@given(text=st.text(alphabet=st.sampled_from(list("[]\\/ab@#$=B :")), max_size=16) | st.text(max_size=40))
def test_markup_literal_shows_exactly_the_text(text):
    """What the command palette's help line (Textual markup only) does with a portal's owner name."""
    from textual.content import Content

    from pdxtui.textsafe import markup_literal, one_line

    shown = one_line(text, 200)  # as commands.py does: controls are pictures first
    assert Content.from_markup(markup_literal(shown)).plain == shown
