"""`modelyard datasets …` in-process, against the test's own store."""

from modelyard.cli.main import main
from tests.conftest import store_snapshot


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_several_paths_then_list_show_and_profile(home, store, capsys, sample_csv, tmp_path):
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "b.tsv").write_text("x\ty\n1\ta\n2\tb\n")
    (folder / "bad.csv").write_text("a,b\n1,2\n3,4,5,6\n")
    code, out, err = run(capsys, "datasets", "import", sample_csv, folder)
    assert code == 1
    assert "Imported customer_churn.csv as customer_churn:1" in out
    assert "Imported 2 of 3 files." in out
    assert (
        err.strip() == "error: bad.csv has ragged rows: a row has 4 values where the header has 2 "
        "('3,4,5,6'); fix the row or its quoting."
    )

    code, out, _ = run(capsys, "datasets")
    assert code == 0 and "customer_churn:1" in out and "b:1" in out
    assert run(capsys, "datasets", "list")[1] == out

    code, out, _ = run(capsys, "datasets", "show", "customer_churn")
    assert code == 0 and "2,000 rows × 10 columns" in out and "tenure_months" in out

    code, out, _ = run(capsys, "datasets", "profile", "customer_churn")
    assert "0 duplicate rows" in out and "total_charges" in out
    code, out, _ = run(capsys, "datasets", "profile", "customer_churn", "contract")
    assert code == 0 and "month-to-month" in out and "missing  0" in out
    code, _, err = run(capsys, "datasets", "profile", "customer_churn", "nope")
    assert code == 1 and "has no column 'nope'" in err


def test_privacy_option_and_bad_choice(home, store, capsys, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email,n\nann@example.com,1\nbob@example.org,2\ncy@example.net,3\n")
    before = store_snapshot(store)
    code, _, err = run(capsys, "datasets", "import", path, "--privacy", "email=shred")
    assert code == 1 and "not a privacy action" in err
    assert store_snapshot(store) == before
    code, out, _ = run(capsys, "datasets", "import", path, "--privacy", "mask")
    assert code == 0
    code, out, _ = run(capsys, "datasets", "profile", "people", "email")
    assert "looks like e-mail data (at import: mask)" in out


def test_top_level_import_still_works(home, store, capsys, sample_csv):
    code, out, _ = run(capsys, "import", sample_csv, "--name", "churn")
    assert code == 0 and "as churn:1" in out


def test_diff_and_delete(home, store, capsys, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    run(capsys, "datasets", "import", path)
    path.write_text("a,c\n1,x\n2,y\n3,z\n")
    run(capsys, "datasets", "import", path)
    code, out, _ = run(capsys, "datasets", "diff", "d")
    assert code == 0
    assert out.splitlines()[:3] == [
        "d:1 → d:2: rows 2 → 3 (+1)",
        "added columns: c",
        "removed columns: b",
    ]
    assert run(capsys, "datasets", "diff", "d:1", "d:2")[1] == out
    code, _, err = run(capsys, "datasets", "diff", "d:1")
    assert code == 1 and "no previous version" in err
    code, _, err = run(capsys, "datasets", "delete", "d:1")
    assert code == 1 and "needs confirmation: add --yes" in err
    code, out, _ = run(capsys, "datasets", "delete", "d:1", "--yes")
    assert code == 0 and out.strip() == "Deleted d:1 and freed its stored file."


def test_validate_adds_rules_and_reports_failing_rows(home, store, capsys, tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("age,plan\n30,a\n41,b\n")
    run(capsys, "datasets", "import", path)
    code, out, _ = run(
        capsys,
        "datasets",
        "validate",
        "v",
        "--rule",
        "age:range=18..65",
        "--rule",
        "plan:allowed=a,b",
    )
    assert code == 0 and "v:1: 2 of 2 rules passed; no problems." in out
    code, _, err = run(capsys, "datasets", "validate", "v", "--rule", "age:between")
    assert code == 1 and "not a rule kind" in err
    path.write_text("age,plan\n30,a\n70,c\n99,a\n")
    code, out, _ = run(capsys, "datasets", "import", path)
    assert "Validation: 0 of 2 rules passed against v:1's schema" in out
    code, out, _ = run(capsys, "datasets", "validate", "v:2")
    assert code == 1
    assert "✗ age in 18..65 — 2 of 3 rows" in out and "✗ plan in {a, b} — 1 of 3 rows" in out
    code, out, _ = run(capsys, "datasets", "validate", "v:2", "--remove", "1", "--remove", "2")
    assert code == 0 and "has no rules yet" in out


def test_import_with_type_and_role_overrides(home, store, capsys, tmp_path):
    from modelyard.datasets.review import preferred_target
    from modelyard.datasets.service import get_version

    path = tmp_path / "o.csv"
    path.write_text("id,zone,paid\n1,1,yes\n2,2,no\n3,1,yes\n")
    code, _, err = run(capsys, "datasets", "import", path, "--type", "zone=complex")
    assert code == 1 and "not a column type" in err
    code, _, err = run(capsys, "datasets", "import", path, "--role", "paid")
    assert code == 1 and "COLUMN=ROLE" in err
    code, out, _ = run(
        capsys,
        "datasets",
        "import",
        path,
        "--type",
        "zone=categorical",
        "--type",
        "paid=boolean",
        "--role",
        "paid=target",
        "--role",
        "id=ignore",
    )
    assert code == 0 and "2 columns" in out
    version = get_version(store, "o")
    assert {c.name: c.kind for c in version.columns} == {"zone": "categorical", "paid": "boolean"}
    assert preferred_target(store, version) == "paid"
