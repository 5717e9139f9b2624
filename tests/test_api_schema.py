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
    may not be after ``date_to``, nor ``from`` after ``to`` on /changes-in (a 400).
    Generated requests that break it are not "schema-valid" in the API's terms, so they are
    left to the negative checks' own cases."""
    query = case.query or {}
    for first, last in (("date_from", "date_to"), ("from", "to")):
        if isinstance(query.get(first), str) and isinstance(query.get(last), str):
            try:
                if date_bound(first, query[first], end=False) > date_bound(last, query[last], end=True):
                    return False
            except BadParameter:
                pass  # an invalid date: the server must refuse it, and is checked for that
    return True


@pytest.fixture(scope="module")
def operations(shared_loaded_app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", shared_loaded_app)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_description_has_the_public_operations(operations):
    paths = {op.path for op in operations}
    assert {
        "/events.json",
        "/measures.json",
        "/events/{slug}.json",
        "/changes-in.json",
        "/changes-in.csv",
    } <= paths


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


@pytest.mark.parametrize(
    ("path", "path_parameters", "query"),
    [
        ("/actors/{slug}.json", {"slug": "boston"}, {"as_of": "2021-01-01"}),
        ("/actors/{slug}.json", {"slug": "hamburg"}, {"as_of": "2025-01-01"}),
        ("/changes-in.json", {}, {"from": "2019", "to": "2021"}),
        ("/changes-in.json", {}, {"from": "2020", "level": ["city", "region"], "measure_type": ["ban"]}),
        ("/changes-in.csv", {}, {"from": "2019-05", "to": "2019-05", "bom": "1"}),
    ],
)
def test_real_answers_with_content_match_their_description(shared_loaded_app, path, path_parameters, query):
    """Generated requests rarely name a real place or a period with changes: these do, so
    the "applies" list and the groups of changes are checked against their schemas too."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", shared_loaded_app)
    case = schema[path]["GET"].Case(path_parameters=path_parameters, query=query)
    response = case.call_and_validate()
    assert response.status_code == 200
    if path.endswith(".json"):
        body = response.json()
        assert body.get("applies") or body.get("total")
