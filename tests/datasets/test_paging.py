import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelyard.datasets.paging import ParquetPager
from modelyard.errors import InvalidInputError


@pytest.fixture
def pager(tmp_path):
    n = 2500
    table = pa.table(
        {
            "i": list(range(n)),
            "x": [(i * 37) % 101 / 10 for i in range(n)],
            "name": [f"row{i}" if i % 10 else None for i in range(n)],
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=300)
    return ParquetPager(path)


def test_pages_cross_row_groups_in_stored_order(pager):
    assert (pager.total_rows, pager.columns) == (2500, ["i", "x", "name"])
    rows = pager.page(290, 20)
    assert [r[0] for r in rows] == list(range(290, 310))
    assert rows[10] == [300, 300 * 37 % 101 / 10, None]
    assert pager.page(2490, 50)[-1][0] == 2499 and len(pager.page(2490, 50)) == 10
    assert pager.page(3000, 10) == []


def test_sort_and_filter(pager):
    assert pager.arrange("x", descending=True) == 2500
    top = pager.page(0, 5)
    assert all(r[1] == 10.0 for r in top)
    assert pager.arrange(None, filter_column="x", filter_text=">= 9.9") == len(
        [i for i in range(2500) if (i * 37) % 101 >= 99]
    )
    assert all(r[1] >= 9.9 for r in pager.page(0, 1000))
    # row24, row241..row249, row2401..row2499 without the missing names of multiples of ten
    assert pager.arrange("i", True, "name", "ROW24") == 1 + 9 + 90
    assert [r[0] for r in pager.page(0, 3)] == [2499, 2498, 2497]
    assert pager.arrange("name", False) == 2500
    assert pager.page(2499, 1)[0][2] is None  # missing values sort last
    with pytest.raises(InvalidInputError, match="not a number"):
        pager.arrange(None, filter_column="x", filter_text="> abc")
    assert pager.arrange() == 2500 and pager.page(0, 1)[0][0] == 0
