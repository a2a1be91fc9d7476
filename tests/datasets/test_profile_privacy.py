import pandas as pd
import pytest

from modelyard.datasets.privacy import detect, iban_ok, luhn_ok, parse_choices
from modelyard.datasets.profile import get_profile
from modelyard.datasets.service import import_file, load_frame
from modelyard.errors import InvalidInputError
from modelyard.store import models


def test_profile_is_computed_at_import_and_stored(store, churn):
    with store.session() as session:
        stored = session.get(models.DatasetProfile, churn.id).profile
    profile = get_profile(store, churn)
    assert profile == stored
    assert (profile["rows"], profile["columns"], profile["duplicate_rows"]) == (2000, 10, 0)
    assert profile["memory_bytes"] > 0
    frame = load_frame(store, churn)
    tenure = profile["column_stats"]["tenure_months"]
    assert tenure["count"] == 2000 and tenure["missing"] == 0
    assert tenure["min"] == frame["tenure_months"].min()
    assert tenure["mean"] == pytest.approx(frame["tenure_months"].mean())
    assert tenure["quantiles"]["0.5"] == pytest.approx(frame["tenure_months"].median())
    assert sum(tenure["histogram"]["counts"]) == 2000
    total = profile["column_stats"]["total_charges"]
    assert total["missing"] == int(frame["total_charges"].isna().sum()) > 0
    contract = profile["column_stats"]["contract"]
    assert sum(n for _, n in contract["top"]) == 2000
    assert contract["top"][0][1] == frame["contract"].value_counts().iloc[0]


def test_duplicate_rows_are_counted(store, tmp_path):
    path = tmp_path / "dups.csv"
    path.write_text("a,b\n1,x\n1,x\n2,y\n1,x\n")
    profile = get_profile(store, import_file(store, path).version)
    assert profile["duplicate_rows"] == 2


def test_luhn_and_iban_checks():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB82WEST12345698765433")


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["ann@example.com", "bob.smith@mail.co.uk", "x+y@z.org"], "e-mail"),
        (["+41 44 668 18 00", "(555) 123-4567", "030 1234567"], "phone"),
        (["4111 1111 1111 1111", "5500-0000-0000-0004", "340000000000009"], "credit card"),
        (
            [
                "GB82 WEST 1234 5698 7654 32",
                "DE89370400440532013000",
                "FR1420041010050500013M02606",
            ],
            "IBAN",
        ),
        (["4111 1111 1111 1112", "5500-0000-0000-0005", "4000 0000 0000 0001"], None),
        (["red", "green", "blue"], None),
    ],
)
def test_detects_personal_data(values, kind):
    assert detect(values * 3) == kind


def _people(tmp_path):
    path = tmp_path / "people.csv"
    pd.DataFrame(
        {
            "email": ["ann@example.com", "bob@example.org", "cy@example.net", "di@example.com"],
            "card": ["4111111111111111", "5500000000000004", "340000000000009", "4111111111111111"],
            "spend": [10.5, 20.0, 3.25, 8.0],
        }
    ).to_csv(path, index=False)
    return path


def test_personal_columns_are_flagged_and_kept_by_default(store, tmp_path):
    version = import_file(store, _people(tmp_path)).version
    profile = get_profile(store, version)
    assert profile["privacy"] == {
        "email": {"kind": "e-mail", "action": "keep"},
        "card": {"kind": "credit card", "action": "keep"},
    }
    assert load_frame(store, version)["email"][0] == "ann@example.com"


def test_personal_columns_dropped_masked_or_hashed_at_import(store, tmp_path):
    choices = parse_choices(["email=hash", "card=mask"])
    version = import_file(store, _people(tmp_path), privacy=choices).version
    frame = load_frame(store, version)
    assert frame["card"][0] == "************1111"
    assert frame["email"][0] != "ann@example.com" and len(frame["email"][0]) == 24
    assert get_profile(store, version)["privacy"]["card"] == {
        "kind": "credit card",
        "action": "mask",
    }
    dropped = import_file(store, _people(tmp_path), name="p2", privacy=parse_choices(["drop"]))
    assert [c.name for c in dropped.version.columns] == ["spend"]


def test_bad_privacy_choices_are_refused(store, tmp_path):
    with pytest.raises(InvalidInputError, match="not a privacy action"):
        parse_choices(["email=scramble"])
    with pytest.raises(InvalidInputError, match="no column 'nope'"):
        import_file(store, _people(tmp_path), privacy={"nope": "drop"})


def test_duplicates_count_missing_values_as_equal(store, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("a,b,c\n,x,1\n,x,1\n1.5,,2\n1.5,,2\n1.5,y,2\n0,x,1\n")
    profile = get_profile(store, import_file(store, path).version)
    assert profile["duplicate_rows"] == 2
    assert profile["column_stats"]["c"]["top"] == [["1", 3], ["2", 3]]


def test_statistics_from_sorted_values_match_numpy():
    import numpy as np

    from modelyard.datasets.profile import QUANTILES, sorted_statistics

    values = np.sort(np.random.default_rng(3).normal(10, 4, 5001))
    stats = sorted_statistics(values)
    assert [stats["quantiles"][str(q)] for q in QUANTILES] == pytest.approx(
        np.quantile(values, QUANTILES).tolist()
    )
    counts, edges = np.histogram(values, bins=20)
    assert stats["histogram"]["counts"] == counts.tolist()
    assert stats["histogram"]["edges"] == pytest.approx(edges.tolist())
    assert stats["std"] == pytest.approx(values.std(ddof=1))
    assert sorted_statistics(np.array([2.0**48] * 3))["histogram"] == {
        "edges": [2.0**48, 2.0**48],
        "counts": [3],
    }
