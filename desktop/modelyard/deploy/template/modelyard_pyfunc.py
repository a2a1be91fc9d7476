"""MLflow python_function loader for a Modelyard bundle (named in the MLmodel file).

`mlflow.pyfunc.load_model(BUNDLE_DIR)` adds this folder to sys.path (the flavour's `code: .`),
imports this module and calls `_load_pyfunc(BUNDLE_DIR/model.skops)`. The model is loaded with
skops and an explicit list of trusted types: no pickle is involved.
"""

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import modelyard_runtime as runtime  # noqa: E402


class ModelyardPyfunc:
    def __init__(self, model: Any, signature: dict[str, Any]) -> None:
        self.model = model
        self.signature = signature

    def predict(self, model_input, params=None):
        import pandas as pd

        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        features = runtime.prepare_features(frame, self.signature["inputs"])
        return self.model.predict(features)


def _load_pyfunc(data_path: str) -> ModelyardPyfunc:
    path = Path(data_path)
    folder = path.parent if path.is_file() else path
    model = runtime.load_model((folder / "model.skops").read_bytes())
    signature = json.loads((folder / "signature.json").read_text())
    return ModelyardPyfunc(model, signature)
