"""The SQL engine (issue 20): the tables a query names, polars' errors as one line, running and cancelling."""

from __future__ import annotations

import asyncio
from datetime import date

import polars as pl
import pytest

from pdxtui.sql import engine
from pdxtui.sql.engine import SqlError, UnknownTable, error_for, prepare, referenced, run, start, words

TREES = pl.DataFrame(
    {
        "species": ["Acer", "Quercus", "Acer", None, "Ulmus"],
        "diameter": [10.5, 30.0, 12.0, 4.0, None],
        "ward": [1, 2, 1, 3, 2],
        "planted": [date(2001, 5, 1), date(1999, 1, 2), None, date(2020, 1, 1), date(2010, 6, 30)],
    }
)
WARDS = pl.DataFrame({"ward": [1, 2, 4], "name": ["North", "South", "East"]})
TABLES = {"street_trees": TREES, "wards": WARDS}


# -- the tables a query names -------------------------------------------------------------------------------------


def test_referenced_skips_comments_and_strings_and_reads_quoted_names_in_any_case():
    sql = """
    -- wards is only mentioned in this comment
    /* and street_trees in this one */
    SELECT 'wards' AS label, "Street_Trees".species
    FROM "STREET_TREES" JOIN Parks ON 1 = 1 -- parks
    """
    assert referenced(sql, ["street_trees", "wards", "parks"]) == ["street_trees", "parks"]
    assert referenced("SELECT * FROM `wards`", ["wards"]) == ["wards"]
    assert referenced("select 'it''s wards' from x", ["wards", "x"]) == ["x"]
    assert referenced("SELECT * FROM wards /* unclosed comment street_trees", ["street_trees", "wards"]) == ["wards"]


def test_referenced_keeps_the_order_of_first_mention():
    sql = "SELECT * FROM wards w JOIN street_trees t USING (ward) JOIN wards x USING (ward)"
    assert referenced(sql, ["street_trees", "wards"]) == ["wards", "street_trees"]


def test_words_unquote_doubled_quotes():
    assert [w for w, _ in words('SELECT "a ""b""" FROM t')] == ["SELECT", 'a "b"', "FROM", "t"]


def test_prepare():
    assert prepare("  SELECT 1 ;; \n") == "SELECT 1"
    assert prepare("SELECT ';'") == "SELECT ';'"
    for empty in ("", "   ", " ; ;"):
        with pytest.raises(SqlError, match="write a query first") as caught:
            prepare(empty)
        assert caught.value.kind == "syntax"


# -- errors, one line each ----------------------------------------------------------------------------------------


def _error(sql: str, tables=TABLES) -> SqlError:
    with pytest.raises(SqlError) as caught:
        run(sql, tables)
    message = str(caught.value)
    assert "\n" not in message and "Resolved plan" not in message and "FAILED HERE" not in message, message
    assert len(message) <= engine.MAX_ERROR + 80
    return caught.value


def test_a_syntax_error_says_where():
    error = _error("SELECT species\n  FROM street_trees\nORDER species")
    assert error.kind == "syntax" and str(error).startswith("syntax error: ")
    assert (error.line, error.column) == (3, 1) and str(error).endswith("(line 3, column 1)")
    error = _error("SELEC * FROM street_trees")
    assert (error.kind, error.line, error.column) == ("syntax", 1, 1)


def test_a_query_cut_short_says_it_ends_too_soon():
    error = _error("SELECT species FROM street_trees WHERE diameter >")
    assert error.kind == "syntax" and str(error).endswith("(at the end of the query)")


def test_a_column_not_found_keeps_polars_hint():
    error = _error("SELECT specie FROM street_trees")
    assert error.kind == "column" and "(did you mean 'species'?)" in str(error)
    error = _error("SELECT t.nope FROM street_trees t")
    assert error.kind == "column" and "nope" in str(error)


def test_an_unknown_table_lists_the_tables():
    error = _error("SELECT * FROM street_trees JOIN parks USING (ward)")
    assert isinstance(error, UnknownTable) and error.table == "parks" and error.kind == "table"
    assert str(error) == "no table named 'parks'; the tables are: street_trees, wards"
    error = _error("SELECT * FROM parks", {})
    assert str(error) == "no table named 'parks'; the tables are: none (open a dataset first)"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT diameter + species FROM street_trees",
        "SELECT * FROM street_trees WHERE species > 3",
        "SELECT CAST(species AS INT) FROM street_trees",
    ],
)
def test_a_type_error(sql):
    error = _error(sql)
    assert error.kind == "type", str(error)


def test_error_for_passes_a_sql_error_through_and_never_raises_on_odd_exceptions():
    already = SqlError("x", kind="column")
    assert error_for(already) is already
    odd = error_for(ValueError("something\n\nwith a long tail"))
    assert str(odd) == "something" and odd.kind == "other"


# -- running ------------------------------------------------------------------------------------------------------

GROUPED = "SELECT species, count(*) AS n, avg(diameter) AS d FROM street_trees GROUP BY species ORDER BY species"
JOINED = "SELECT t.species, w.name FROM street_trees t JOIN wards w ON t.ward = w.ward ORDER BY t.species, w.name"


def _direct_grouped() -> pl.DataFrame:
    return (
        TREES.group_by("species")
        .agg(pl.len().alias("n"), pl.col("diameter").mean().alias("d"))
        .sort("species", nulls_last=True)
    )


def test_run_gives_what_polars_gives_directly():
    result = run(GROUPED, TABLES)
    assert sorted(result.rows(), key=repr) == sorted(_direct_grouped().rows(), key=repr)
    joined = run(JOINED, {"STREET_TREES": TREES, "wards": WARDS.lazy()})  # any case; lazy frames too
    direct = TREES.join(WARDS, on="ward").select("species", "name")
    assert sorted(joined.rows(), key=repr) == sorted(direct.rows(), key=repr)


def test_run_with_a_date_function_and_a_cte():
    sql = (
        "WITH old AS (SELECT species, EXTRACT(YEAR FROM planted) AS y FROM street_trees WHERE planted < '2011-01-01') "
        "SELECT y, count(*) AS n FROM old GROUP BY y ORDER BY y"
    )
    assert run(sql, TABLES).rows() == [(1999, 1), (2001, 1), (2010, 1)]


def test_start_and_await_the_result():
    async def go():
        running = start(GROUPED, TABLES)
        return await running.result()

    result = asyncio.run(go())
    assert sorted(result.rows(), key=repr) == sorted(_direct_grouped().rows(), key=repr)


def test_start_raises_at_once_for_bad_syntax():
    with pytest.raises(SqlError, match="syntax error"):
        start("SELEC 1", TABLES)


def test_a_failing_query_raises_from_result():
    async def go():
        running = start("SELECT * FROM street_trees WHERE species > 3", TABLES)
        with pytest.raises(SqlError) as caught:
            await running.result()
        return caught.value

    error = asyncio.run(go())
    assert error.kind == "type" and "\n" not in str(error)


def test_an_unknown_table_or_column_raises_at_once_from_start():
    with pytest.raises(UnknownTable, match="no table named 'parks'; the tables are: street_trees, wards"):
        start("SELECT * FROM street_trees JOIN parks USING (ward)", TABLES)
    with pytest.raises(SqlError, match="did you mean 'species'") as caught:
        start("SELECT specie FROM street_trees", TABLES)  # planned before any row is read
    assert caught.value.kind == "column"


class _SlowLazy:
    """Stands in for a LazyFrame whose query takes long: its rows come only when released (polars cannot stop a
    step under way)."""

    def __init__(self) -> None:
        import threading

        self.release = threading.Event()

    def collect(self) -> pl.DataFrame:
        self.release.wait(10)
        return pl.DataFrame({"x": [1]})


def test_cancelling_the_awaiting_task_cancels_the_query(monkeypatch):
    import threading

    slow = _SlowLazy()
    failures = []
    monkeypatch.setattr(threading, "excepthook", failures.append)

    async def go():
        running = engine.Running(slow, ["t"])  # type: ignore[arg-type]  # a stand-in for a LazyFrame
        task = asyncio.ensure_future(running.result())
        await asyncio.sleep(0.01)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task  # at once: polars is still at work
        return running

    running = asyncio.run(go())
    assert running.cancelled and not running.done
    slow.release.set()  # polars finishes after the event loop has gone
    assert running._done.wait(5)  # the thread ends too...
    for thread in threading.enumerate():
        if thread.name == "pdxtui-sql":
            thread.join(5)
    assert failures == []  # ...without calling into the event loop, which is gone
    with pytest.raises(SqlError, match="cancelled"):  # and the rows that came late are not kept
        running.wait(0)


def test_a_result_awaited_after_it_is_in_and_wait_from_a_thread():
    running = start(GROUPED, TABLES)
    first = running.wait(10)
    assert running.done

    async def go():
        return await running.result()

    assert asyncio.run(go()).equals(first)


# -- a polars panic (a Rust assertion: PanicException derives from BaseException, not Exception) ----------------


def test_a_polars_panic_is_a_sql_error_from_run_and_from_start():
    sql = "SELECT CAST(ward AS DECIMAL(100,2)) AS d FROM street_trees"
    with pytest.raises(SqlError) as raised:
        run(sql, TABLES)
    assert "\n" not in str(raised.value)
    assert "precision" in str(raised.value)
    with pytest.raises(SqlError):
        start(sql, TABLES).wait(30)


def test_error_for_a_panic_says_polars_failed_inside():
    panic = pl.exceptions.PanicException("assertion failed: *precision >= 1 && *precision <= 38")
    error = error_for(panic)
    assert isinstance(error, SqlError)
    assert str(error).startswith("polars failed inside")
    assert error.kind == "panic"  # (polars has written its own panic text to stderr: the app repaints)
