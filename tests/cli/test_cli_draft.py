"""``pdxtui draft`` on the bundled demo portal: each kind, -o, --json, and exit codes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pdxtui.cli import draft as cli_draft
from pdxtui.cli import main

NEIGHBORHOODS = "9f50a605cf4945259b983fa35c993fe9_125"
CANARY = "CANARY-cfg-token-5150"
REAL_TODAY = cli_draft._today  # before the fixture replaces it


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(cli_draft, "_today", lambda: date(2024, 5, 1))


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(["--portal", "demo", "draft", *args])
    except SystemExit as exc:  # argparse rejects the flags itself
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def write_config(tmp_path, text: str) -> None:
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")  # PDXTUI_CONFIG points here (conftest)


KIND_ARGS = {
    "records": ["--field", "NAME", "--dates", "2023-01-01..2023-12-31", "--fee-waiver", "--use", "a map"],
    "publish": ["--fields-wanted", "ADOPTED_DATE", "--cadence", "monthly", "--use", "a map"],
    "access": [
        "--url",
        "https://www.portlandmaps.com/od/rest/services/COP_OpenData_Boundary/MapServer/125/query?where=1%3D1",
        "--error",
        "HTTP 503",
    ],
    "quality": ["--field", "name", "--record-id", "12", "--record-id", "57", "--problem", "misspelt names"],
}


@pytest.mark.parametrize("kind", list(KIND_ARGS))
def test_each_kind_against_the_demo_portal(capsys, kind):
    code, out, err = run(capsys, kind, NEIGHBORHOODS, *KIND_ARGS[kind])
    assert code == 0, err
    assert out.startswith("Subject: ")
    assert "May 1, 2024" in out
    assert "Neighborhoods" in out and NEIGHBORHOODS in out and "Office of Community & Civic Life" in out
    assert "\nSend to:\n1. " in out
    assert "sample snapshot" in out  # the demo dataset is sample data
    assert "[your name]" in out and "fill in before sending: " in err
    if kind == "records":
        assert "ORS 192.324(2)" in out and "NAME (Name)" in out and "2023-01-01 to 2023-12-31" in out
    if kind == "quality":
        assert "OBJECTID 12, 57" in out and "NAME (Name)" in out  # --field matched ignoring case
    if kind == "access":
        assert "503-823-5199" in out and "HTTP 503" in out


@pytest.mark.parametrize("kind", list(KIND_ARGS))
def test_without_a_dataset(capsys, kind):
    code, out, err = run(capsys, kind)
    assert code == 0, err
    assert out.startswith("Subject: ") and "Send to:" in out


def test_output_file_equals_stdout(capsys, tmp_path):
    args = ["records", NEIGHBORHOODS, "--field", "NAME", "--dates", "2023"]
    code, out, _ = run(capsys, *args)
    assert code == 0
    target = tmp_path / "letter.txt"
    code, out2, err = run(capsys, *args, "-o", str(target))
    assert code == 0 and out2 == ""
    assert target.read_text(encoding="utf-8") == out
    assert "wrote" in err
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_output_file_is_not_replaced_without_force(capsys, tmp_path):
    target = tmp_path / "letter.txt"
    target.write_text("keep me", encoding="utf-8")
    code, _out, err = run(capsys, "access", "-o", str(target))
    assert code == 1 and "--force" in err and len(err.strip().splitlines()) == 1
    assert target.read_text(encoding="utf-8") == "keep me"
    code, _, _ = run(capsys, "access", "-o", str(target), "--force")
    assert code == 0 and target.read_text(encoding="utf-8").startswith("Subject: API question")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["letter.txt"]


def test_json_shape(capsys, tmp_path):
    code, out, _ = run(capsys, "quality", NEIGHBORHOODS, "--json", "--record-id", "3")
    assert code == 0
    data = json.loads(out)
    assert {"kind", "subject", "body", "send_to", "placeholders"} <= set(data)
    assert data["kind"] == "quality"
    assert isinstance(data["send_to"], list) and data["send_to"]
    for r in data["send_to"]:
        assert {"label", "how", "address", "note"} <= set(r)
    assert "[your name]" in data["placeholders"]
    assert "OBJECTID 3" in data["body"]
    target = tmp_path / "d.json"
    assert run(capsys, "quality", NEIGHBORHOODS, "--json", "--record-id", "3", "-o", str(target))[0] == 0
    assert target.read_text(encoding="utf-8") == out


def test_requester_from_config_and_tokens_scrubbed(capsys, tmp_path, monkeypatch):
    write_config(
        tmp_path, f'[requester]\nname = "Ada Lovelace"\nemail = "ada@example.org"\n\n[tokens]\nportland = "{CANARY}"\n'
    )
    monkeypatch.setenv("PDXTUI_APP_TOKEN", "ENVCANARY-77aa")
    url = f"https://www.portlandmaps.com/od/rest/services/X/MapServer/1/query?where=1%3D1&token={CANARY}"
    for kind in KIND_ARGS:
        code, out, err = run(
            capsys,
            kind,
            NEIGHBORHOODS,
            "--url",
            url,
            "--error",
            f"401 for key {CANARY} / ENVCANARY-77aa",
            "--problem",
            f"token {CANARY}",
        )
        assert code == 0, err
        assert "Ada Lovelace" in out and "Email: ada@example.org" in out
        assert "[your name]" not in out and "[your email]" not in out
        assert CANARY not in out + err and "ENVCANARY-77aa" not in out + err
        code, out, err = run(capsys, kind, NEIGHBORHOODS, "--json", "--url", url, "--error", CANARY)
        assert CANARY not in out + err


def test_where_is_described_in_plain_english(capsys):
    code, out, _ = run(capsys, "records", NEIGHBORHOODS, "--where", "NAME ~ park")
    assert code == 0 and 'only those where NAME contains "park"' in out
    code, _, err = run(capsys, "records", NEIGHBORHOODS, "--where", "NOPE = 1")
    assert code == 2 and err.startswith("pdxtui: ")
    code, _, err = run(capsys, "records", "--where", "NAME ~ park")
    assert code == 2


def test_usage_errors_exit_2(capsys):
    code, out, err = run(capsys, "complaint")
    assert code == 2 and out == "" and "invalid choice" in err
    for args in (
        ["records", "--dates", "2023-13-01..2024"],
        ["records", "--dates", "2024..2023"],
        ["records", "--dates", "soon"],
        ["records", NEIGHBORHOODS, "--field", "NAMEX"],
        ["records", "--force"],
    ):
        code, out, err = run(capsys, *args)
        assert code == 2, args
        assert out == "" and len(err.strip().splitlines()) == 1
    assert "did you mean 'NAME'" in run(capsys, "records", NEIGHBORHOODS, "--field", "NAMEX")[2]


def test_unknown_dataset_exits_1_with_one_line(capsys):
    code, out, err = run(capsys, "records", "no-such-dataset")
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("pdxtui: ")


def test_help_lists_the_kinds(capsys):
    with pytest.raises(SystemExit) as info:
        main(["draft", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for kind in KIND_ARGS:
        assert f"  {kind} " in out


def test_real_date_by_default():
    assert REAL_TODAY() == date.today()


def test_quality_cites_an_overdue_dataset_and_not_one_of_unknown_freshness(capsys):
    """The same drafting code as the app: the sample's Parks (quarterly) is overdue as of the snapshot date; the
    Neighborhoods layer is updated "As needed", so nothing is said about its freshness."""
    code, out, err = run(capsys, "quality", "c8cbf0231617e68c8bd3d71ba4a1d82c_2")
    assert code == 0, err
    assert (
        "The dataset states it is updated quarterly; its data last changed on 2024-08-07, so an update was "
        "expected by 2024-11-07 (as of the snapshot date 2025-05-15, it was overdue by 6 months)."
        in " ".join(out.split())
    )
    code, out, err = run(capsys, "quality", NEIGHBORHOODS)
    assert code == 0, err
    assert "expected by" not in out and "overdue" not in out
