"""Hostile input: property-based fuzzing of every importer, schemathesis against a served
bundle's OpenAPI, crafted archives and bundle folders, and many refused CLI calls."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from common import ROOT, Figure, cli, fresh_home, half_written, integrity, orphan_count, use_home

SAMPLE = ROOT / "resources" / "samples" / "customer_churn.csv"
FORMATS = ["csv", "parquet", "arrow", "json", "excel"]


# ---- importers ---------------------------------------------------------------------------
def _strategies():
    from hypothesis import strategies as st

    names = st.text(min_size=0, max_size=6)
    scalar = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=12),
        st.datetimes(),
    )

    @st.composite
    def frame(draw):
        import pandas as pd

        width = draw(st.integers(1, 5))
        height = draw(st.integers(0, 8))
        columns = {}
        for i in range(width):
            kind = draw(st.sampled_from(["int", "float", "text", "bool", "date", "mixed"]))
            cell = {
                "int": st.integers(-(2**63), 2**63 - 1),
                "float": st.floats(),
                "text": st.text(max_size=10),
                "bool": st.booleans(),
                "date": st.datetimes(),
                "mixed": st.one_of(st.integers(-1000, 1000), st.text(max_size=5), st.none()),
            }[kind]
            values = draw(st.lists(st.one_of(cell, st.none()), min_size=height, max_size=height))
            columns[f"c{i}"] = values
        frame = pd.DataFrame(columns)
        frame.columns = draw(st.lists(names, min_size=width, max_size=width))
        return frame

    def mutated(seed_bytes: bytes):
        @st.composite
        def flip(draw):
            data = bytearray(seed_bytes)
            for _ in range(draw(st.integers(1, 8))):
                what = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
                at = draw(st.integers(0, max(len(data) - 1, 0)))
                if what == "set" and data:
                    data[at] = draw(st.integers(0, 255))
                elif what == "insert":
                    data[at:at] = draw(st.binary(min_size=1, max_size=16))
                elif what == "delete" and data:
                    del data[at : at + draw(st.integers(1, 16))]
                elif what == "truncate":
                    data = data[:at]
            return bytes(data)

        return flip()

    text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
    csvish = st.lists(
        st.lists(
            st.one_of(st.text(alphabet=",;\t\"'\n\r\\x01é€ 0123456789abc", max_size=8)),
            min_size=1,
            max_size=6,
        ),
        max_size=10,
    ).map(lambda rows: "\n".join(",".join(r) for r in rows))
    json_value = st.recursive(
        scalar.filter(lambda v: not hasattr(v, "isoformat")),
        lambda inner: st.one_of(
            st.lists(inner, max_size=5), st.dictionaries(names, inner, max_size=5)
        ),
        max_leaves=30,
    )
    return st, frame(), mutated, text, csvish, json_value


def _example_bytes(fmt: str) -> bytes:
    """A small valid file of the format, the seed that mutations start from."""
    import pandas as pd

    frame = pd.read_csv(SAMPLE).head(30)
    buffer = io.BytesIO()
    if fmt == "parquet":
        frame.to_parquet(buffer)
    elif fmt == "arrow":
        frame.to_feather(buffer)
    elif fmt == "excel":
        frame.to_excel(buffer, index=False)
    elif fmt == "json":
        buffer.write(frame.to_json(orient="records").encode())
    else:
        buffer.write(frame.to_csv(index=False).encode())
    return buffer.getvalue()


def _file_strategy(fmt: str):
    """(suffix, bytes) examples: built from random tables, or mutated from a valid file."""
    st, frame, mutated, text, csvish, json_value = _strategies()
    seed = _example_bytes(fmt)
    if fmt == "csv":
        import gzip

        plain = st.one_of(
            csvish.map(str.encode),
            text.map(lambda t: t.encode("utf-8")),
            st.binary(max_size=300),
            frame.map(lambda f: f.to_csv(index=False).encode()),
            mutated(seed),
        )
        return st.one_of(
            st.tuples(st.sampled_from([".csv", ".tsv", ".txt"]), plain),
            st.tuples(st.just(".csv.gz"), plain.map(gzip.compress)),
            st.tuples(st.just(".csv.gz"), mutated(gzip.compress(seed))),
            st.tuples(st.just(".zip"), plain.map(_zip_of)),
        )
    if fmt == "json":
        return st.one_of(
            st.tuples(st.just(".json"), json_value.map(lambda v: json.dumps(v).encode())),
            st.tuples(st.just(".json"), frame.map(_records_json)),
            st.tuples(
                st.just(".jsonl"),
                st.lists(json_value, max_size=6).map(
                    lambda vs: "\n".join(json.dumps(v) for v in vs).encode()
                ),
            ),
            st.tuples(st.sampled_from([".json", ".jsonl"]), mutated(seed)),
            st.tuples(st.sampled_from([".json", ".jsonl"]), text.map(str.encode)),
        )
    writers = {"parquet": _parquet_of, "arrow": _feather_of, "excel": _excel_of}
    suffix = {"parquet": ".parquet", "arrow": ".feather", "excel": ".xlsx"}[fmt]
    return st.one_of(
        st.tuples(st.just(suffix), frame.map(writers[fmt])),
        st.tuples(st.just(suffix), mutated(seed)),
        st.tuples(st.just(suffix), st.binary(max_size=300)),
    )


def _zip_of(data: bytes) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("data.csv", data)
    return buffer.getvalue()


def _records_json(frame) -> bytes:
    try:
        return frame.to_json(orient="records", default_handler=str).encode()
    except (ValueError, OverflowError, TypeError):
        return b"[]"


def _parquet_of(frame) -> bytes:
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer)
    except Exception:  # noqa: BLE001 - pandas cannot write every random frame; others can
        return b"PAR1"
    return buffer.getvalue()


def _feather_of(frame) -> bytes:
    buffer = io.BytesIO()
    try:
        frame.reset_index(drop=True).to_feather(buffer)
    except Exception:  # noqa: BLE001
        return b"ARROW1"
    return buffer.getvalue()


def _excel_of(frame) -> bytes:
    buffer = io.BytesIO()
    try:
        frame.to_excel(buffer, index=False)
    except Exception:  # noqa: BLE001
        return b"PK\x03\x04"
    return buffer.getvalue()


def fuzz_one_format(fmt: str, seconds: float) -> dict:
    """Import generated files of one format for `seconds`; only ModelyardError may escape."""
    from hypothesis import HealthCheck, given, settings

    from modelyard.datasets.service import import_file
    from modelyard.errors import ModelyardError
    from modelyard.store import open_store

    home = fresh_home(f"fuzz-{fmt}")
    use_home(home)
    store = open_store()
    work = home.parent / "files"
    work.mkdir()
    counts = {"examples": 0, "imported": 0, "refused": 0}
    crashes: list[str] = []

    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(_file_strategy(fmt))
    def one(example):
        suffix, data = example
        path = work / f"input-{counts['examples']}{suffix}"
        path.write_bytes(data)
        counts["examples"] += 1
        try:
            import_file(store, path)
            counts["imported"] += 1
        except ModelyardError:
            counts["refused"] += 1
        except Exception as exc:  # noqa: BLE001 - what we are looking for
            kept = home.parent / f"crash-{len(crashes)}{suffix}"
            kept.write_bytes(data)
            crashes.append(f"{type(exc).__name__}: {str(exc)[:200]} (kept as {kept})")
        finally:
            path.unlink(missing_ok=True)

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        one()
    result = dict(
        counts,
        format=fmt,
        crashes=crashes,
        integrity=integrity(home),
        half_written=half_written(store),
        orphans=orphan_count(store),
    )
    store.close()
    return result


def fuzz(full: bool, seed: int) -> Figure:
    """Each format in its own process: a crash that kills the interpreter is counted too."""
    seconds = 120 if full else 20
    results, dead = [], []
    for fmt in FORMATS:
        proc = subprocess.run(
            [sys.executable, __file__, "_fuzz", fmt, str(seconds)],
            capture_output=True,
            text=True,
            env=dict(os.environ),
            timeout=seconds * 10 + 300,
        )
        try:
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            dead.append(
                f"{fmt}: the fuzzing process ended with {proc.returncode}: {proc.stderr[-300:]}"
            )
    crashes = [f"{r['format']}: {c}" for r in results for c in r["crashes"]] + dead
    damage = [f"{r['format']}: {p}" for r in results for p in r["half_written"]]
    damage += [
        f"{r['format']}: integrity {r['integrity']}" for r in results if r["integrity"] != "ok"
    ]
    damage += [f"{r['format']}: {r['orphans']} orphaned files" for r in results if r["orphans"]]
    per = ", ".join(
        f"{r['format']} {r['examples']:,} ({r['imported']:,} imported)" for r in results
    )
    total = sum(r["examples"] for r in results)
    return Figure(
        "fuzz-importers",
        "hypothesis fuzzing of every importer (CSV/TSV/TXT, .gz, .zip, Parquet, Feather, "
        "JSON/JSONL, Excel): generated tables and mutated valid files, through the whole import",
        f"{seconds} s per format, {len(FORMATS)} formats",
        f"{total:,} files: {per}; crashes (anything but a ModelyardError, or a dead "
        f"process): {len(crashes)}; stores damaged or left with orphans: {len(damage)}",
        not crashes and not damage,
        crashes + damage,
    )


# ---- a served bundle's OpenAPI -----------------------------------------------------------
def _bundle(home: Path):
    from modelyard.datasets.service import import_file
    from modelyard.deploy.bundle import export_bundle
    from modelyard.registry.service import register
    from modelyard.store import open_store
    from modelyard.training.jobs import create_run
    from modelyard.training.worker import train

    use_home(home)
    store = open_store()
    dataset = import_file(store, SAMPLE).version
    run = create_run(store, dataset, "churn", "logistic_regression")
    if train(run.id) != 0:
        raise RuntimeError("the run for the bundle did not train")
    version = register(store, run.id, "hostile-model")
    bundle = export_bundle(store, version, home.parent / "bundle")
    store.close()
    return bundle.path


def schema(full: bool, seed: int) -> Figure:
    import importlib.util

    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable

    examples = 2000 if full else 300
    home = fresh_home("schema")
    folder = _bundle(home)
    os.environ["MODELYARD_REQUEST_LOG"] = str(home.parent / "request-log")
    spec = importlib.util.spec_from_file_location("hostile_serve", folder / "serve.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(folder))
    spec.loader.exec_module(module)
    api = schemathesis.openapi.from_asgi("/openapi.json", module.app)
    statuses: dict[int, int] = {}
    errors: list[str] = []
    operations = [r.ok() for r in api.get_all_operations()]
    from schemathesis import GenerationMode

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=examples // (2 * len(operations)),
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy(generation_mode=mode))
            def call(case):
                try:
                    response = case.call()
                except Exception as exc:  # noqa: BLE001 - the app raised instead of answering
                    errors.append(f"{case.method} {case.path}: {type(exc).__name__}: {exc}")
                    return
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    errors.append(
                        f"{case.method} {case.path} → {response.status_code}: {response.text[:200]}"
                    )

            try:
                call()
            except Unsatisfiable:
                pass  # no invalid request can be made of it (GET /health takes nothing)
    calls = sum(statuses.values())
    five = sum(n for s, n in statuses.items() if s >= 500)
    spread = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
    return Figure(
        "schema-openapi",
        "schemathesis against a served bundle's OpenAPI (in-process ASGI), valid and invalid "
        f"cases for each of its {len(operations)} operations",
        f"{examples:,} examples asked for",
        f"{calls:,} calls ({spread}); 5xx: {five}; exceptions: {len(errors) - five}",
        not errors and calls > 0,
        errors[:20],
    )


# ---- crafted archives and bundle folders -------------------------------------------------
def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _info(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = ""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data) if kind == tarfile.REGTYPE else 0
    return info


class _Zeros(io.RawIOBase):
    """A huge member's content, never held in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def _crafted(work: Path, good: Path, huge: int) -> dict[str, Path]:
    import shutil

    manifest = (good / "manifest.json").read_bytes()
    ok = ("bundle/manifest.json", manifest)
    cases: dict[str, Path] = {}

    def tar(name, *members):
        cases[name] = _tar(work / f"{name}.tar.gz", [ok_member(ok), *members])

    def ok_member(entry):
        return _info(entry[0], entry[1]), entry[1]

    tar("zip-slip", (_info("bundle/../../evil.py", b"x"), b"x"))
    tar("absolute", (_info("/tmp/evil.py", b"x"), b"x"))
    tar("symlink", (_info("bundle/serve.py", kind=tarfile.SYMTYPE, link="/etc/passwd"), None))
    tar("hardlink", (_info("bundle/serve.py", kind=tarfile.LNKTYPE, link="/etc/passwd"), None))
    tar("device", (_info("bundle/dev", kind=tarfile.CHRTYPE), None))
    tar("fifo", (_info("bundle/pipe", kind=tarfile.FIFOTYPE), None))
    tar("two-tops", (_info("other/serve.py", b"x"), b"x"))
    tar("backslash", (_info("bundle\\..\\evil.py", b"x"), b"x"))
    cases["no-manifest"] = _tar(work / "no-manifest.tar.gz", [(_info("bundle/a", b"x"), b"x")])
    cases["not-gzip"] = work / "not-gzip.tar.gz"
    cases["not-gzip"].write_bytes(b"this is not an archive")
    cases["truncated"] = work / "truncated.tar.gz"
    packed = work / "good.tar.gz"
    with tarfile.open(packed, "w:gz") as t:
        t.add(good, arcname="bundle")
    cases["truncated"].write_bytes(packed.read_bytes()[: packed.stat().st_size // 2])
    for label, bad in [
        ("manifest-list", b"[1, 2]"),
        ("manifest-files-list", b'{"files": [1]}'),
        (
            "manifest-slip",
            json.dumps({"files": {"../../etc/passwd": {"sha256": "0" * 64}}}).encode(),
        ),
        ("manifest-not-json", b"\xff\xfe{"),
    ]:
        cases[label] = _tar(work / f"{label}.tar.gz", [(_info("bundle/manifest.json", bad), bad)])
    # huge: a manifest and a member of `huge` zero bytes each (a gzip bomb: tiny on disk)
    for label, member in [("huge-manifest", "bundle/manifest.json"), ("huge-member", "bundle/big")]:
        path = work / f"{label}.tar.gz"
        with tarfile.open(path, "w:gz", compresslevel=1) as t:
            if member != "bundle/manifest.json":
                t.addfile(_info(ok[0], ok[1]), io.BytesIO(ok[1]))
            info = tarfile.TarInfo(member)
            info.size = huge
            t.addfile(info, io.BufferedReader(_Zeros(huge)))
        cases[label] = path
    # folders: an outside link, a re-hashed file, an added file
    for label in ["folder-symlink", "folder-dir-symlink", "folder-added", "folder-edited"]:
        target = work / label
        shutil.copytree(good, target)
        cases[label] = target
    (cases["folder-symlink"] / "serve.py").unlink()
    (cases["folder-symlink"] / "serve.py").symlink_to("/etc/passwd")
    (cases["folder-dir-symlink"] / "extra").symlink_to("/etc", target_is_directory=True)
    (cases["folder-added"] / "sitecustomize.py").write_text("print('owned')\n")
    with open(cases["folder-edited"] / "serve.py", "a") as f:
        f.write("\n# edited\n")
    return cases


def archives(full: bool, seed: int) -> Figure:
    import resource

    from modelyard.deploy.bundle import verify_bundle
    from modelyard.errors import ModelyardError

    huge = (4 << 30) if full else (1 << 30)
    home = fresh_home("archives")
    good = _bundle(home)
    work = home.parent / "crafted"
    work.mkdir()
    cases = _crafted(work, good, huge)
    refused, wrong = 0, []
    for label, path in cases.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.monotonic()
        try:
            result = verify_bundle(path)
            outcome = "accepted" if result.ok else "refused"
        except ModelyardError:
            outcome = "refused"
        except Exception as exc:  # noqa: BLE001
            outcome = f"crashed ({type(exc).__name__}: {str(exc)[:100]})"
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        took = time.monotonic() - started
        if outcome == "refused":
            refused += 1
        else:
            wrong.append(f"{label}: {outcome}")
        if grown > 200:
            wrong.append(f"{label}: memory grew {grown:.0f} MB to check it")
        if took > 60:
            wrong.append(f"{label}: {took:.0f} s to check")
    if not verify_bundle(good).ok:
        wrong.append("the untouched bundle does not verify")
    return Figure(
        "archives-crafted",
        "crafted archives and bundle folders given to `bundle verify` (zip slip, absolute and "
        "backslash names, sym/hard links, devices, FIFOs, two tops, bad manifests, gzip bombs, "
        "outside links in folders, added and edited files)",
        f"{len(cases)} cases, bombs of {huge >> 30} GiB",
        f"refused {refused}/{len(cases)}; accepted or crashed: "
        f"{sum(':' in w and 'memory' not in w and ' s to' not in w for w in wrong)}",
        not wrong,
        wrong,
    )


# ---- refused CLI calls -------------------------------------------------------------------
def refusals(full: bool, seed: int) -> Figure:
    import pandas as pd

    calls = 300 if full else 60
    home = fresh_home("refusals")
    work = home.parent / "files"
    work.mkdir(parents=True)
    # files that every importer refuses after reading them (multi-threaded pyarrow reads)
    frame = pd.DataFrame({"a": range(50_000), "b": [1.5] * 50_000})
    frame.to_parquet(work / "flat.parquet")
    pd.DataFrame({"a": [[1, 2]] * 10}).to_parquet(work / "lists.parquet")
    (work / "empty.csv").write_text("")
    (work / "ragged.csv").write_text("a,b\n1,2,3,4\n" * 2000)
    (work / "garbage.parquet").write_bytes(os.urandom(5000))
    (work / "not.xlsx").write_bytes(b"PK\x03\x04garbage")
    (work / "bad.json").write_text('{"a": [1, {"b": 2}]}')
    kinds = [
        ("import", str(work / "lists.parquet")),
        ("import", str(work / "empty.csv")),
        ("import", str(work / "ragged.csv")),
        ("import", str(work / "garbage.parquet")),
        ("import", str(work / "not.xlsx")),
        ("import", str(work / "bad.json")),
        ("import", str(work / "missing.csv")),
        ("import", str(work / "flat.parquet"), "--name", "bad:name"),
        ("train", "--dataset", "nothing", "--target", "y", "--model", "mlp"),
        ("register", "--run", "999", "--name", "m"),
        ("export", "nothing", "--out", str(work / "out")),
        ("bundle", "verify", str(work / "garbage.parquet")),
    ]
    rng = random.Random(seed)
    codes: dict[int, int] = {}
    odd = []
    for i in range(calls):
        args = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        proc = cli(home, *args)
        out, err = proc.communicate(timeout=300)
        codes[proc.returncode] = codes.get(proc.returncode, 0) + 1
        if proc.returncode != 1:
            odd.append(f"modelyard {' '.join(args)} → {proc.returncode}: {err.decode()[-200:]}")
        elif not err.strip():
            odd.append(f"modelyard {' '.join(args)}: exit 1 without a sentence")
    spread = ", ".join(f"exit {c}: {n}" for c, n in sorted(codes.items()))
    return Figure(
        "refusals-cli",
        f"refused CLI calls ({len(kinds)} kinds: unreadable, nested, ragged, empty, missing "
        "files, a bad name, unknown datasets, runs and models, a non-bundle to verify)",
        f"{calls} calls",
        f"{spread}; aborts (134): {codes.get(134, 0)}; other than 1 or silent: {len(odd)}",
        not odd,
        odd[:20],
    )


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "_fuzz":
    print(json.dumps(fuzz_one_format(sys.argv[2], float(sys.argv[3]))))
