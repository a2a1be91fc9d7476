"""Pydantic models of this bundle's requests and answers, built from its signature.

They describe the API (/openapi.json and /docs name this model's real columns and their types);
the handlers parse bodies themselves, so that a 20 MB body is refused before it is read and a
single row costs microseconds.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

_KIND_TYPES: dict[str, Any] = {
    "integer": float | None,
    "float": float | None,
    "boolean": bool | None,
}


def _row_model(inputs: list[dict[str, Any]]) -> type[BaseModel]:
    """One record: every column of the signature (null for a missing value)."""
    fields: dict[str, Any] = {}
    for i, column in enumerate(inputs):
        kind = column["kind"]
        annotation = _KIND_TYPES.get(kind, str | int | float | bool | None)
        fields[f"column_{i}"] = (
            annotation,
            Field(alias=column["name"], description=f"{kind} column `{column['name']}`"),
        )
    return create_model(
        "Row", __config__=ConfigDict(extra="ignore", populate_by_name=False), **fields
    )


def build(signature: dict[str, Any], max_rows: int) -> dict[str, type[BaseModel]]:
    row = _row_model(signature["inputs"])
    classification = signature.get("task") == "classification"
    label: Any = str | int | float | bool | None if classification else float | None

    class PredictRequest(BaseModel):
        model_config = ConfigDict(title="PredictRequest")
        records: list[row] = Field(  # type: ignore[valid-type]
            min_length=1, max_length=max_rows, description="The rows to predict."
        )

    class PredictResponse(BaseModel):
        predictions: list[label] = Field(description="One prediction per row, in order.")  # type: ignore[valid-type]
        probabilities: list[dict[str, float]] | None = Field(
            None, description="Class probabilities per row (classifiers that have them)."
        )
        request_id: str
        ids: list[str] = Field(description="Row ids to send back with labels on /feedback.")
        version: int = Field(description="The model version that answered.")

    class FeedbackRecord(BaseModel):
        id: str = Field(min_length=1, description="A row id from a /predict answer.")
        label: str | int | float | bool

    class FeedbackRequest(BaseModel):
        records: list[FeedbackRecord] = Field(min_length=1, max_length=max_rows)

    class FeedbackResponse(BaseModel):
        accepted: int

    class Problem(BaseModel):
        detail: str = Field(description="What was wrong, in one sentence.")

    return {
        "PredictRequest": PredictRequest,
        "PredictResponse": PredictResponse,
        "FeedbackRequest": FeedbackRequest,
        "FeedbackResponse": FeedbackResponse,
        "Problem": Problem,
    }


def components(models: dict[str, type[BaseModel]]) -> dict[str, Any]:
    """The JSON schemas of `models`, as OpenAPI components referring to each other."""
    schemas: dict[str, Any] = {}
    for name, model in models.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas
