"""Serving app of a Modelyard deployment bundle.

Run it from this folder:  uvicorn serve:app --host 127.0.0.1 --port 8000
"""

import json
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import modelyard_runtime as runtime  # noqa: E402

SIGNATURE: dict[str, Any] = json.loads((HERE / "signature.json").read_text())
MANIFEST: dict[str, Any] = json.loads((HERE / "manifest.json").read_text())
MODEL = runtime.load_model((HERE / "model.skops").read_bytes())

app = FastAPI(
    title=f"{MANIFEST['model']['name']} v{MANIFEST['model']['version']}",
    description="A model served from a Modelyard deployment bundle.",
)


class PredictRequest(BaseModel):
    records: list[dict[str, Any]]


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/metadata")
def metadata() -> dict[str, Any]:
    return {"model": MANIFEST["model"], "lineage": MANIFEST["lineage"], "signature": SIGNATURE}


@app.post("/predict")
def predict(request: PredictRequest) -> dict[str, Any]:
    try:
        features = runtime.records_to_frame(request.records, SIGNATURE["inputs"])
    except runtime.InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return runtime.predict(MODEL, features, SIGNATURE)
