"""The API does what /openapi.json says, for requests nobody wrote by hand.

Schemathesis reads the description and generates requests for every operation, valid and
invalid values alike; each answer must be documented (status, content type, body schema)
and never a 5xx. Bounded (a fixed number of examples per operation, derandomised) so the
suite stays fast and the same on every run."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tracker.read.filters import date_bound
from tracker.read.parameters import BadParameter

EXAMPLES = settings(
    max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


def _satisfiable(case) -> bool:
    """The one rule between parameters the description states only in words: ``date_from``
    may not be after ``date_to`` (a 400). Generated requests that break it are not
    "schema-valid" in the API's terms, so they are left to the negative checks' own cases."""
    query = case.query or {}
    if isinstance(query.get("date_from"), str) and isinstance(query.get("date_to"), str):
        try:
            return date_bound("date_from", query["date_from"], end=False) <= date_bound(
                "date_to", query["date_to"], end=True
            )
        except BadParameter:
            return True  # an invalid date: the server must refuse it, and is checked for that
    return True


@pytest.fixture(scope="module")
def operations(shared_loaded_app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", shared_loaded_app)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_description_has_the_public_operations(operations):
    paths = {op.path for op in operations}
    assert {"/events.json", "/measures.json", "/events/{slug}.json"} <= paths


def test_every_operation_answers_as_its_description_says(operations):
    failures = []
    for operation in operations:

        @EXAMPLES
        @given(operation.as_strategy().filter(_satisfiable))
        def check(case):
            case.call_and_validate()  # every check schemathesis has ("--checks all")

        try:
            check()
        except Exception as exc:  # collect every operation's first failure, then report all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert failures == []
