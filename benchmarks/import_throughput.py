"""Import throughput: Modelyard's import (read, hash, profile, validate, write Parquet) against
pyarrow.csv.read_csv + pyarrow.parquet.write_table on the same generated CSV, in one run.

    .venv/bin/python benchmarks/import_throughput.py [--rows 1000000] [--runs 1]

The CSV (20 mixed columns: integers, floats, categories, text, booleans, dates, some missing
values) is generated on the fly into a temporary folder under /tmp and deleted afterwards.
Each contender runs in its own process so that its peak memory (max RSS) is its own.
Targets (issue 3): throughput ≥ 0.8× the pyarrow pair; peak memory ≤ 3× the file size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PEER = """
import json, resource, sys, time
import pyarrow.csv as pc, pyarrow.parquet as pq
start = time.perf_counter()
table = pc.read_csv(sys.argv[1])
pq.write_table(table, sys.argv[2])
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

MODELYARD = """
import json, resource, sys, time
import numpy, pandas, pyarrow.compute, pyarrow.csv, pyarrow.parquet  # module loading is not timed, as for the peer
from modelyard.store import open_store
from modelyard.datasets.service import import_file
store = open_store()
start = time.perf_counter()
result = import_file(store, sys.argv[1])
seconds = time.perf_counter() - start
assert result.created and result.version.n_rows > 0
print(json.dumps({"seconds": seconds, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def generate(path: Path, rows: int, seed: int = 0) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pc

    rng = np.random.default_rng(seed)
    chunk = 200_000
    cities = np.array(["Zürich", "Basel", "Genève", "Lugano", "Bern", "Chur", "Sion", "Thun"])
    plans = np.array(["free", "basic", "pro", "enterprise"])
    with pa.OSFile(str(path), "wb") as sink:
        writer = None
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ids = np.arange(start, start + n)
            income = rng.normal(50_000, 15_000, n).round(2)
            income_missing = rng.random(n) < 0.02
            columns = {
                "id": ids,
                "age": rng.integers(18, 90, n),
                "income": pa.array(income, mask=income_missing),
                "score": rng.random(n),
                "visits": rng.poisson(3, n),
                "city": cities[rng.integers(0, len(cities), n)],
                "plan": plans[rng.integers(0, len(plans), n)],
                "active": rng.random(n) < 0.7,
                "signup": (np.datetime64("2020-01-01") + rng.integers(0, 1500, n)).astype(str),
                "note": np.char.add("note ", (ids % 9973).astype(str)),
                "x1": rng.normal(0, 1, n),
                "x2": rng.normal(5, 2, n),
                "x3": rng.exponential(1, n),
                "x4": rng.integers(0, 1000, n),
                "x5": rng.uniform(-1, 1, n),
                "code": np.char.add("C", rng.integers(0, 500, n).astype(str)),
                "ratio": (rng.random(n) * 100).round(3),
                "flag": rng.integers(0, 2, n),
                "tier": rng.integers(1, 6, n),
                "label": rng.random(n) < 0.3,
            }
            batch = pa.table(columns)
            if writer is None:
                writer = pc.CSVWriter(sink, batch.schema)
            writer.write_table(batch)
        writer.close()


def run(code: str, args: list[str], env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        tmp = Path(tmp)
        csv = tmp / "mixed.csv"
        started = time.perf_counter()
        generate(csv, args.rows)
        size = csv.stat().st_size
        print(
            f"generated {args.rows:,} rows × 20 columns: {size / 1e6:,.0f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )
        env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"))
        env.pop("MODELYARD_STORE_URL", None)
        peer, ours = [], []
        for i in range(args.runs):
            peer.append(run(PEER, [str(csv), str(tmp / "peer.parquet")], env))
            env["MODELYARD_HOME"] = str(tmp / f"home{i}")
            ours.append(run(MODELYARD, [str(csv)], env))
        best_peer = min(r["seconds"] for r in peer)
        best_ours = min(r["seconds"] for r in ours)
        peak_peer = max(r["peak_kb"] for r in peer) * 1024
        peak_ours = max(r["peak_kb"] for r in ours) * 1024
        print(
            f"pyarrow read_csv + write_table: {best_peer:6.2f} s  {size / best_peer / 1e6:6.1f} MB/s  "
            f"peak {peak_peer / 1e6:,.0f} MB ({peak_peer / size:.2f}× file)"
        )
        print(
            f"modelyard import_file:          {best_ours:6.2f} s  {size / best_ours / 1e6:6.1f} MB/s  "
            f"peak {peak_ours / 1e6:,.0f} MB ({peak_ours / size:.2f}× file)"
        )
        print(
            f"throughput ratio (modelyard / pyarrow): {best_peer / best_ours:.2f}× (target ≥ 0.8×)"
        )
        print(f"peak memory / file size: {peak_ours / size:.2f}× (target ≤ 3×)")


if __name__ == "__main__":
    main()
