import pytest

from modelyard.datasets.profile import get_profile
from modelyard.datasets.review import preferred_target, preview_file
from modelyard.datasets.service import import_file, load_frame, store_table
from modelyard.errors import InvalidInputError
from tests.conftest import store_snapshot


@pytest.fixture
def orders(tmp_path):
    path = tmp_path / "orders.csv"
    rows = "".join(f"{i},{i % 3},shop,{'yes' if i % 2 else 'no'},{i * 1.5}\n" for i in range(30))
    path.write_text("order_id,zone,source,paid,amount\n" + rows)
    return path


def test_preview_shows_head_schema_and_flags(orders):
    preview = preview_file(orders)
    assert [c.name for c in preview.columns] == ["order_id", "zone", "source", "paid", "amount"]
    assert {c.name: c.kind for c in preview.columns}["zone"] == "integer"
    assert preview.head[0] == [0, 0, "shop", "no", 0.0] and len(preview.head) == 20
    assert preview.flags["order_id"] == ["ID-like"]
    assert preview.flags["source"] == ["constant"]


def test_overrides_retype_ignore_and_mark_the_target(store, orders):
    preview = preview_file(orders)
    overrides = {
        "zone": {"kind": "categorical"},
        "paid": {"kind": "boolean", "role": "target"},
        "order_id": {"role": "ignore"},
    }
    result = store_table(
        store, preview.table, orders, preview.source_size, "orders", overrides=overrides
    )
    version = result.version
    kinds = {c.name: c.kind for c in version.columns}
    assert kinds == {
        "zone": "categorical",
        "source": "categorical",
        "paid": "boolean",
        "amount": "float",
    }
    frame = load_frame(store, version)
    assert frame["paid"].tolist()[:2] == [False, True] and frame["zone"][1] == "1"
    assert get_profile(store, version)["roles"] == {"paid": "target"}
    assert preferred_target(store, version) == "paid"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"source": {"kind": "integer"}}, "cannot be stored as integer"),
        ({"source": {"kind": "boolean"}}, "cannot be stored as boolean"),
        ({"zone": {"kind": "complex"}}, "not a column type"),
        ({"zone": {"role": "label"}}, "not a column role"),
        ({"zone": {"role": "target"}, "paid": {"role": "target"}}, "Only one column"),
        ({"nope": {"role": "ignore"}}, "no column 'nope'"),
    ],
)
def test_bad_overrides_write_nothing(store, orders, overrides, message):
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError, match=message):
        import_file(store, orders, overrides=overrides)
    assert store_snapshot(store) == before
