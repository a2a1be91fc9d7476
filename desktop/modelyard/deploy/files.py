"""The text files of a bundle, rendered from the templates with sanitised values only.

User-chosen text (the model name) never reaches a Dockerfile shell line: the Dockerfile gets the
Python version alone, and the YAML files get a DNS-safe slug and JSON-quoted strings.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import uuid
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from modelyard.store.entities import ModelVersion

TEMPLATE = Path(__file__).parent / "template"
SERVING_PACKAGES = (
    "fastapi",
    "uvicorn",
    "pydantic",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "skops",
    "safetensors",  # the PyTorch MLP's weights inside model.skops
    "prometheus_client",  # /metrics
    "orjson",  # JSON in and out of /predict and the request log
)
COPIED = ("serve.py", "modelyard_serving.py", "modelyard_schemas.py", "modelyard_pyfunc.py")
RENDERED = (
    "Dockerfile",
    "README.md",
    "docker-compose.yml",
    "kubernetes.yaml",
    "MLmodel",
    "python_env.yaml",
)


def requirements(onnx: bool = False) -> str:
    packages = SERVING_PACKAGES + (("onnxruntime",) if onnx else ())
    return "".join(f"{p}=={metadata.version(p)}\n" for p in packages)


def slug(name: str) -> str:
    """A Kubernetes/DNS-1123 and Docker-safe name: lowercase letters, digits and dashes."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50].strip("-")
    return text or "model"


def render(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def example_record(version: ModelVersion) -> dict[str, Any]:
    samples = {
        "integer": 1,
        "float": 0.5,
        "boolean": True,
        "categorical": "a",
        "datetime": "2024-05-31",
    }
    return {c["name"]: samples.get(c["kind"], "a") for c in version.signature.get("inputs", [])}


def template_values(version: ModelVersion, example: dict[str, Any] | None = None) -> dict[str, str]:
    name = slug(version.model_name)
    example = example or example_record(version)
    header = ",".join(example)
    return {
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "python_full": ".".join(str(n) for n in sys.version_info[:3]),
        "slug": name,
        "image": f"{name}:{version.version}",
        "version": str(int(version.version)),
        "model_json": json.dumps(version.model_name),
        "uuid": uuid.uuid4().hex,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "title": f"{version.model_name} v{version.version}",
        "kind": version.model_kind,
        "task": version.task,
        "dataset": version.dataset.label if version.dataset else "(logged from a script)",
        "run_id": str(version.run_id),
        "example": json.dumps({"records": [example]}),
        "csv_header": header,
        "csv_row": ",".join(
            str(v).lower() if isinstance(v, bool) else str(v) for v in example.values()
        ),
        "columns": ", ".join(f"`{c['name']}` ({c['kind']})" for c in version.signature["inputs"]),
    }


def write_text_files(
    version: ModelVersion,
    folder: Path,
    onnx: bool = False,
    example: dict[str, Any] | None = None,
) -> None:
    """`example` (one real row of the inputs) makes the README's curl commands realistic."""
    from modelyard.registry import runtime

    values = template_values(version, example)
    for name in COPIED:
        shutil.copyfile(TEMPLATE / name, folder / name)
    # its source, also in a frozen build (where the module itself is compiled into the app)
    shutil.copyfile(Path(runtime.__file__).with_suffix(".py"), folder / "modelyard_runtime.py")
    (folder / "requirements.txt").write_text(requirements(onnx))
    public = {k: v for k, v in version.signature.items() if k != "examples"}  # training rows
    (folder / "signature.json").write_text(json.dumps(public, indent=2))
    for name in RENDERED:
        (folder / name).write_text(render((TEMPLATE / name).read_text(), values))
