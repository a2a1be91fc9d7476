"""The self-contained runtime that bundles carry: safe loading and strict input handling."""

import numpy as np
import pandas as pd
import pytest
import skops.io

from modelyard.registry import runtime

INPUTS = [
    {"name": "x", "kind": "float"},
    {"name": "flag", "kind": "boolean"},
    {"name": "colour", "kind": "categorical"},
]


def test_a_model_made_of_numpy_functions_is_refused(tmp_path):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    # The shape of a known attack: numpy functions chained to run a string as code.
    pipe = Pipeline(
        [
            (
                "a",
                FunctionTransformer(func=np.full_like, kw_args={"fill_value": "1", "dtype": "O"}),
            ),
            ("b", FunctionTransformer(func=np.min)),
            ("c", FunctionTransformer(func=np.save, kw_args={"file": str(tmp_path / "x")})),
        ]
    )
    with pytest.raises(runtime.ModelLoadError, match="untrusted types: numpy.full_like"):
        runtime.load_model(skops.io.dumps(pipe))
    assert not (tmp_path / "x.npy").exists()


def test_records_are_converted_per_signature():
    frame = runtime.records_to_frame(
        [
            {"x": "1.5", "flag": "true", "colour": "red"},
            {"x": 2, "flag": 0, "colour": None},
            {"x": None, "flag": False, "colour": "blue"},
        ],
        INPUTS,
    )
    assert frame["x"].tolist()[:2] == [1.5, 2.0] and np.isnan(frame["x"].iloc[2])
    assert frame["flag"].tolist() == [True, False, False]
    assert frame["colour"].iloc[0] == "red" and pd.isna(frame["colour"].iloc[1])


@pytest.mark.parametrize(
    "record,message",
    [
        ({"x": float("inf"), "flag": True, "colour": "a"}, "finite number"),
        ({"x": "many", "flag": True, "colour": "a"}, "must be numeric"),
        ({"x": [1], "flag": True, "colour": "a"}, "must be numeric"),
        ({"x": 1, "flag": "maybe", "colour": "a"}, "true or false"),
        ({"x": 1, "flag": True, "colour": ["a"]}, "single value"),
        ({"x": 1, "colour": "a"}, "missing column"),
    ],
)
def test_bad_records_are_input_errors(record, message):
    with pytest.raises(runtime.InputError, match=message):
        runtime.records_to_frame([record], INPUTS)


@pytest.mark.parametrize("records", [[], "rows", [1, 2]])
def test_records_must_be_a_list_of_objects(records):
    with pytest.raises(runtime.InputError):
        runtime.records_to_frame(records, INPUTS)
