"""schemathesis against a bundle's own OpenAPI schema, in process (ASGI): no generated request
gets a 500, and none gets past the token without it. Few examples per operation, to stay quick;
docs/RELIABILITY.md runs it for longer."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.deploy.helpers import load_serving_module

TOKEN = "schemathesis-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def served(bundle, monkeypatch):
    monkeypatch.setenv("MODELYARD_API_TOKEN", TOKEN)
    return load_serving_module(bundle.path)


@pytest.fixture
def api_schema(served):
    return schemathesis.openapi.from_asgi("/openapi.json", served.app, headers=AUTH)


def operations(api_schema):
    return [result.ok() for result in api_schema.get_all_operations()]


def test_the_schema_names_every_route(api_schema):
    paths = {operation.path for operation in operations(api_schema)}
    assert {"/predict", "/feedback", "/health", "/ready", "/metadata", "/metrics"} <= paths


def run_generated(api_schema, examples, check):
    """`check(case)` on `examples` generated requests per operation (hypothesis, no database)."""
    for operation in operations(api_schema):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def generated(case):
            check(case)

        generated()


def test_no_generated_request_is_a_server_error(api_schema):
    seen = []

    def check(case):
        response = case.call_and_validate(headers=AUTH, checks=[not_a_server_error])
        seen.append((case.path, response.status_code))

    run_generated(api_schema, 8, check)
    assert {path for path, _ in seen} >= {"/predict", "/feedback"}
    assert any(status == 200 for path, status in seen if path == "/predict")


def test_without_the_token_only_the_probes_answer(api_schema):
    def check(case):
        response = case.call(headers={"Authorization": "Bearer wrong"})
        if case.path in ("/health", "/ready"):
            assert response.status_code == 200, case.path
        else:
            assert response.status_code == 401, (case.path, response.status_code)

    run_generated(api_schema, 2, check)
