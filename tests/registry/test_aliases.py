"""Aliases move with one action, rollback finds production's previous version, all audited."""

import pytest

from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.registry.aliases import (
    aliases,
    all_aliases,
    remove_alias,
    resolve,
    rollback,
    set_alias,
)
from modelyard.registry.audit import audit_log
from modelyard.registry.service import register
from tests.conftest import store_snapshot, train_in_process


@pytest.fixture
def three_versions(store, churn):
    return [register(store, train_in_process(store, churn, seed=s).id, "churn") for s in range(3)]


def test_an_alias_moves_with_one_action_and_is_audited(store, three_versions):
    assert set_alias(store, "churn", "staging", 1).describe() == (
        "staging of 'churn' now points to v1."
    )
    change = set_alias(store, "churn", "Staging", 2)
    assert (change.before, change.after) == (1, 2)
    set_alias(store, "churn", "champion-2026", 2)
    assert aliases(store, "churn") == {"champion-2026": 2, "staging": 2}
    assert sorted(all_aliases(store)[three_versions[1].id]) == ["champion-2026", "staging"]
    assert resolve(store, "churn@staging").version == 2
    events = audit_log(store, "churn")
    assert [e.action for e in events[:3]] == ["set alias", "set alias", "set alias"]
    assert events[1].before == {"alias": "staging", "version": 1}
    assert events[1].after == {"alias": "staging", "version": 2}
    assert [e.action for e in events[3:]] == ["register"] * 3
    assert events[-1].after["version"] == 1


def test_setting_an_alias_to_where_it_is_writes_nothing(store, three_versions):
    set_alias(store, "churn", "production", 3)
    before = store_snapshot(store)
    assert not set_alias(store, "churn", "production", 3).changed
    assert store_snapshot(store) == before


def test_rollback_walks_back_through_production_history(store, three_versions):
    for version in (1, 2, 3):
        set_alias(store, "churn", "production", version)
    set_alias(store, "churn", "staging", 1)  # other aliases do not count
    assert rollback(store, "churn").after == 2
    assert rollback(store, "churn").after == 1
    with pytest.raises(InvalidInputError, match="no earlier version"):
        rollback(store, "churn")
    assert aliases(store, "churn")["production"] == 1
    assert audit_log(store, "churn")[0].action == "rollback"


def test_rollback_after_a_new_promotion_returns_to_the_one_before_it(store, three_versions):
    set_alias(store, "churn", "production", 1)
    set_alias(store, "churn", "production", 2)
    rollback(store, "churn")  # back to 1
    set_alias(store, "churn", "production", 3)
    assert rollback(store, "churn").after == 1


def test_remove_alias_and_bad_input_write_nothing(store, three_versions):
    set_alias(store, "churn", "archived", 1)
    assert remove_alias(store, "churn", "archived").after is None
    assert "archived" not in aliases(store, "churn")
    before = store_snapshot(store)
    for call, error, message in [
        (lambda: set_alias(store, "churn", "production", 9), NotFoundError, "no version 9"),
        (lambda: set_alias(store, "nope", "production", 1), NotFoundError, "no registered model"),
        (lambda: set_alias(store, "churn", "9lives", 1), InvalidInputError, "cannot be an alias"),
        (lambda: set_alias(store, "churn", "a b", 1), InvalidInputError, "cannot be an alias"),
        (lambda: remove_alias(store, "churn", "staging"), NotFoundError, "no alias 'staging'"),
        (lambda: rollback(store, "churn"), InvalidInputError, "no production version"),
        (lambda: resolve(store, "churn@prod"), NotFoundError, "no alias 'prod'"),
        (lambda: resolve(store, "churn:x"), InvalidInputError, "MODEL:N"),
    ]:
        with pytest.raises(error, match=message):
            call()
    assert store_snapshot(store) == before
