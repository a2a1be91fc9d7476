"""Property: any messy CSV is either imported with the right shape or refused with one clear
sentence — never a crash, never a partial write."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelyard.datasets.service import import_file
from modelyard.errors import ModelyardError
from tests.conftest import store_snapshot

NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
CELL = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.text(alphabet='abcxyzéü€ "\n', min_size=1, max_size=10),
    st.just(""),
)


@st.composite
def messy_csv(draw):
    names = draw(st.lists(NAME, min_size=1, max_size=6))
    n_rows = draw(st.integers(0, 12))
    # with a one-column header, "0;0" is a value, not a ragged row: no delimiter to sniff
    ragged = draw(st.booleans()) and n_rows > 0 and len(names) > 1
    rows = []
    for _ in range(n_rows):
        width = len(names) + (draw(st.integers(-1, 2)) if ragged else 0)
        row = [draw(CELL) for _ in range(max(width, 1))]
        if len(names) == 1 and row == [""]:
            row = ["0"]  # a lone empty field is a blank line, which CSV readers skip
        rows.append(row)
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, quoting=quoting, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(rows)
    return names, rows, text.getvalue().encode(encoding, errors="replace")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=messy_csv())
def test_messy_csv_imports_with_right_shape_or_fails_cleanly(store, tmp_path, case):
    names, rows, content = case
    path = tmp_path / "messy.csv"
    path.write_bytes(content)
    before = store_snapshot(store)
    # repeated header names are renamed (name, name_2), not refused
    well_formed = rows and all(len(r) == len(names) for r in rows)
    try:
        result = import_file(store, path, name="messy")
    except ModelyardError as exc:
        assert "\n" not in str(exc)
        assert store_snapshot(store) == before
        assert not well_formed, f"a well-formed file was refused: {exc}"
        return
    assert well_formed, "a malformed file was imported"
    assert (result.version.n_rows, result.version.n_cols) == (len(rows), len(names))
    stored = [c.name for c in result.version.columns]
    assert len(set(stored)) == len(stored)
    assert ("Renamed:" in result.message) == (len(set(names)) < len(names))
