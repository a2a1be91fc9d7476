"""Table paging: opening a stored 10-million-row dataset in the Rows view and fetching pages,
against reading the whole Parquet file to show one page (what a naive viewer does).

    .venv/bin/python benchmarks/table_paging.py [--rows 10000000] [--pages 50]

The Parquet file is written the way an import stores it (zstd, dictionary pages for text only, 131,072-row groups) into a
temporary folder under /tmp. Pages of 500 rows are fetched at random offsets (cold cache:
each from a row group not read before), then sorted and filtered pages.
Target (issue 3): under 50 ms per page.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))

PAGE = 500


def write(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from modelyard.datasets.service import ROW_GROUP_ROWS

    rng = np.random.default_rng(0)
    chunk = 1_000_000
    schema = None
    writer = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        table = pa.table(
            {
                "id": np.arange(start, start + n),
                "x": rng.normal(0, 1, n),
                "y": rng.integers(0, 1000, n),
                "city": pa.array(
                    np.array(["Basel", "Bern", "Chur", "Thun"])[rng.integers(0, 4, n)]
                ),
                "flag": rng.random(n) < 0.5,
            }
        )
        if writer is None:
            schema = table.schema
            writer = pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=["city"])
        writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
    writer.close()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> None:
    import pyarrow.parquet as pq

    from modelyard.datasets.paging import ParquetPager
    from modelyard.datasets.service import ROW_GROUP_ROWS

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = Path(tmp) / "big.parquet"
        started = time.perf_counter()
        write(path, args.rows)
        print(
            f"wrote {args.rows:,} rows: {path.stat().st_size / 1e6:,.0f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        pager = ParquetPager(path)
        first = pager.page(0, PAGE)
        opened = time.perf_counter() - started
        assert len(first) == PAGE

        rng = random.Random(0)
        group = ROW_GROUP_ROWS
        groups = list(range(args.rows // group))
        rng.shuffle(groups)
        times = []
        for g in groups[: args.pages]:
            start = g * group + rng.randrange(0, group - PAGE)
            t = time.perf_counter()
            rows = pager.page(start, PAGE)
            times.append(time.perf_counter() - t)
            assert rows[0][0] == start
        cold = statistics.median(times)
        worst = max(times)

        t = time.perf_counter()
        pager.arrange("x", descending=True)
        sort_time = time.perf_counter() - t
        sorted_times = []
        for _ in range(args.pages):
            start = rng.randrange(0, args.rows - PAGE)
            t = time.perf_counter()
            pager.page(start, PAGE)
            sorted_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        shown = pager.arrange(None, filter_column="city", filter_text="= Chur")
        filter_time = time.perf_counter() - t

        t = time.perf_counter()
        whole = pq.read_table(path)
        whole.slice(args.rows // 2, PAGE).to_pylist()
        naive = time.perf_counter() - t

        print(f"open + first page:                 {ms(opened)}")
        print(
            f"random page, cold (median of {args.pages}):  {ms(cold)}   worst {ms(worst)}   target < 50 ms"
        )
        print(f"sort {args.rows:,} rows by a float column: {ms(sort_time)} (once)")
        print(f"random page, sorted (median):      {ms(statistics.median(sorted_times))}")
        print(f"filter city = Chur ({shown:,} rows): {ms(filter_time)} (once)")
        print(f"naive viewer: read whole file for one page: {ms(naive)}")
        print(f"ratio naive / paged page: {naive / cold:,.0f}×")


if __name__ == "__main__":
    main()
