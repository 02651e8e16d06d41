"""The grid's "more rows" (``Service.more``) over a real CKAN CSV resource, as the fake serves it: a file whose
column holds text from row 2,501 on (past the sample its columns are typed from, past the first pages loaded)
keeps every value the grid already showed as the server sent it."""

from __future__ import annotations

from pdxtui.session import open_session
from tests.support.fakeportal.ckan import bikes_table


async def test_rows_added_from_a_csv_file_leave_the_loaded_values_as_sent(fake_ckan):
    bikes = bikes_table(3000)
    bikes.rows[0]["avg_speed_mph"] = "12.50"
    bikes.rows[2500]["avg_speed_mph"] = "n/a"
    bikes.rows[2600]["counted_at"] = "unknown"
    fake_ckan.apps["ckan"].packages["bike-counts"].resources[0].file = bikes
    service = open_session(portal=f"ckan:{fake_ckan.url}").service(refresh=True)
    try:
        ds = await service.dataset("bike-counts")
        preview = await service.preview(ds, rows=1000)
        assert str(preview.frame.schema["avg_speed_mph"]) == "Float64" and not preview.notes
        while preview.total is None or preview.shown < preview.total:  # "+" until every row is loaded
            preview = await service.more(preview, 1000)
        frame = preview.frame
        assert frame.height == 3000 and str(frame.schema["riders"]) == "Int64"
        speeds = frame["avg_speed_mph"].to_list()
        assert (
            speeds[0] == "12.50"
            and speeds[2500] == "n/a"
            and speeds[1:3] == [str(r["avg_speed_mph"]) for r in bikes.rows[1:3]]
        )
        assert frame["counted_at"].to_list()[:2] == [r["counted_at"].isoformat() for r in bikes.rows[:2]]
        assert "column avg_speed_mph holds text from row 2,501 on ('n/a'): shown as text" in preview.notes
        assert "column counted_at holds text from row 2,601 on ('unknown'): shown as text" in preview.notes
        assert frame.equals((await service.preview(ds, rows=5000)).frame)
    finally:
        await service.aclose()
