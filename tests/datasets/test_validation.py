import pytest

from modelyard.datasets.service import get_version, import_file
from modelyard.datasets.validation import (
    add_rule,
    list_rules,
    parse_rule,
    remove_rule,
    report_lines,
    validate_version,
)
from modelyard.errors import InvalidInputError
from modelyard.store import models


def _v1(store, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("id,age,plan,email\n1,30,a,a@x.org\n2,41,b,b@x.org\n3,25,a,c@x.org\n")
    return path, import_file(store, path).version


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("age:not_null", ("age", "not_null", {})),
        ("age:range=0..120", ("age", "range", {"min": 0.0, "max": 120.0})),
        ("age:range=..120", ("age", "range", {"min": None, "max": 120.0})),
        ("plan:allowed=a, b", ("plan", "allowed", {"values": ["a", "b"]})),
        ("id:unique", ("id", "unique", {})),
        ("email:pattern=[^@]+@x\\.org", ("email", "pattern", {"regex": "[^@]+@x\\.org"})),
    ],
)
def test_rule_specs(spec, parsed):
    assert parse_rule(spec) == parsed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("age", "not a rule"),
        ("age:positive", "not a rule kind"),
        ("age:range=5..1", "empty"),
        ("age:range=abc", "MIN..MAX"),
        ("plan:allowed=", "needs values"),
        ("email:pattern=([", "not a valid regular expression"),
    ],
)
def test_bad_rule_specs(spec, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_rule(spec)


def test_new_versions_are_checked_against_rules_and_previous_schema(store, tmp_path):
    path, v1 = _v1(store, tmp_path)
    for spec in (
        "age:range=18..65",
        "plan:allowed=a,b",
        "id:unique",
        "email:pattern=[^@]+@x\\.org",
        "age:not_null",
    ):
        add_rule(store, v1, *parse_rule(spec))
    assert validate_version(store, v1)["failures"] == []
    with pytest.raises(InvalidInputError, match="needs a number column"):
        add_rule(store, v1, *parse_rule("plan:range=0..1"))
    with pytest.raises(InvalidInputError, match="no column 'nope'"):
        add_rule(store, v1, *parse_rule("nope:unique"))

    path.write_text("id,age,plan\n1,30,a\n1,70,c\n3,,a\n4,12,b\n")
    result = import_file(store, path)
    report = result.validation
    checks = {f["check"]: f["rows"] for f in report["failures"]}
    assert checks == {
        "column email of people:1 is missing": None,
        "age in 18..65": 2,
        "plan in {a, b}": 1,
        "id unique": 2,
        "email matches /[^@]+@x\\.org/: column missing": 4,
        "age not null": 1,
    }
    assert (report["rules"], report["passed"]) == (5, 0)
    assert "  ✗ age in 18..65 — 2 of 4 rows" in report_lines(report)
    assert "Validation: 0 of 5 rules passed against people:1's schema" in result.message
    with store.session() as session:
        assert session.get(models.DatasetProfile, result.version.id).validation == report

    rule = list_rules(store, "people")[0]
    remove_rule(store, "people", rule.id)
    assert len(list_rules(store, "people")) == 4
    assert validate_version(store, get_version(store, "people:2"))["rules"] == 4


def test_retyped_column_is_reported(store, tmp_path):
    path, _ = _v1(store, tmp_path)
    path.write_text("id,age,plan,email\n1,old,a,a@x.org\n2,41,b,b@x.org\n")
    report = import_file(store, path).validation
    assert report["failures"] == [
        {"check": "column age changed type: integer → text", "rows": None}
    ]
