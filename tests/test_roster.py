"""Roster quirks: columns named twice, quotes left open, line numbers of multi-line cells."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.errors import TracerError
from tracer.keys import parse_roster, read_roster


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name,id\na,Ada,b\n", "line 1: duplicate column 'id' (columns 1 and 3)"),
        ("ID, id \na,b\n", "line 1: duplicate column 'id' (columns 1 and 2)"),
        ("id,Name,NAME\na,Ada,Bob\n", "line 1: duplicate column 'name' (columns 2 and 3)"),
        ("id,email, Email\na,x,y\n", "line 1: duplicate column 'email'"),
        ("id,,\na,b,c\n", "line 1: duplicate column without a name (columns 2 and 3)"),
    ],
)
def test_a_column_named_twice_is_an_error(text: str, message: str) -> None:
    """The second `id` column silently replaced the first: students under others' ids."""
    with pytest.raises(TracerError) as error:
        parse_roster(text, "roster.csv")
    assert error.value.line().startswith(f"roster.csv: {message}")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('id,name\na,"Ada\nb,Bob\nc,Cy\n', 2),  # leniently: one student "Ada\nb,Bob\nc,Cy"
        ('id,name\na,Ada\nb,"Bob', 3),  # open at the very end of the file
        ('id,name\r\na,"Ada ""the"" first"\r\nb,"Bob\r\n', 3),  # doubled quotes do not close
        ('id,name\na,"Ada\nLovelace"\nb,"Bob""\n', 4),  # after a cell spanning two lines
        ('"id,name\na,Ada\n', 1),
    ],
)
def test_a_quote_left_open_is_an_error_at_its_line(text: str, line: int) -> None:
    with pytest.raises(TracerError, match=f"^roster.csv: line {line}: a quote opens here"):
        parse_roster(text, "roster.csv")


def test_lenient_csv_would_swallow_the_rest() -> None:
    """Why the check is needed: without strict mode, csv reads a quote left open at the end
    of the file as a cell running to the end, without a word."""
    text = 'id,name\na,"Ada\nb,Bob\n'
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["id", "name"], ["a", "Ada\nb,Bob\n"]]


def test_bad_quoting_is_an_error_at_its_line() -> None:
    with pytest.raises(TracerError, match=r"^r.csv: line 3: not a CSV file \(.*expected"):
        parse_roster('id,name\na,Ada\nb,"Bob"by\n', "r.csv")


def test_line_numbers_count_lines_not_rows() -> None:
    """A quoted cell across lines: errors after it name the file's line, not the row."""
    text = 'id,name\na,"Ada\nLovelace"\nb,Bob\n,Cy\n'
    with pytest.raises(TracerError, match="line 5: the id is empty"):
        parse_roster(text, "r.csv")
    assert [s.name for s in parse_roster(text[:-4])] == ["Ada\nLovelace", "Bob"]


def test_quotes_inside_cells_are_fine() -> None:
    students = parse_roster('id,name\na,O"Brien\nb,"Doe, ""J"""\n')
    assert [s.name for s in students] == ['O"Brien', 'Doe, "J"']


def test_read_roster_reports_the_path(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id,ID\na,b\n", encoding="utf-8")
    with pytest.raises(TracerError) as error:
        read_roster(path)
    assert error.value.line() == f"{path}: line 1: duplicate column 'id' (columns 1 and 2)"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text(alphabet='ab,"\n\r ', max_size=6), min_size=1, max_size=3),
                min_size=1, max_size=5))
def test_quoted_rosters_read_back(rows: list[list[str]]) -> None:
    """Whatever csv writes (quotes, commas, line breaks in cells) reads back, or fails with
    one line: the open-quote check never rejects a well-formed file."""
    out = io.StringIO()
    csv.writer(out).writerows([["id", "name", "x"], *rows])
    try:
        students = parse_roster(out.getvalue())
    except TracerError as error:
        assert "\n" not in error.line()
        assert "quote opens here" not in error.message
        return
    assert all(s.id for s in students)
