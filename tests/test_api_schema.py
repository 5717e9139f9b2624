"""The API does what /openapi.json says, for requests nobody wrote by hand.

Schemathesis reads the description and generates requests for every operation, valid and
invalid values alike; each answer must be documented (status, content type, body schema)
and never a 5xx. Bounded (a fixed number of examples per operation, derandomised) so the
suite stays fast and the same on every run."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

EXAMPLES = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


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
        @given(operation.as_strategy())
        def check(case):
            # Every check but "a schema-valid request is accepted": whether a slug names a
            # row, or 2019-02-30 is a real day, is a 400 the description cannot express.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as exc:  # collect every operation's first failure, then report all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert failures == []
