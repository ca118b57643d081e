"""The prediction API fuzzed from its own OpenAPI document (schemathesis): whatever the
parameters, as the token's person, no answer is a server error (5xx)."""

from __future__ import annotations

import schemathesis
from hypothesis import strategies
from hypothesis import HealthCheck, given, settings


def test_no_parameters_make_a_server_error(prediction_api):
    schema = schemathesis.openapi.from_asgi("/openapi.json", prediction_api.app)
    operations = [result.ok() for result in schema.include(tag="prediction")
                  .get_all_operations()]
    assert {op.path for op in operations} >= {"/prediction", "/features", "/raw_features",
                                              "/tracks/{track_id}/prediction", "/health"}
    headers = prediction_api.people[prediction_api.store["trained"][0]]
    seen: dict[str, set[int]] = {}
    for operation in operations:

        # Valid parameters (schemathesis' positive mode) and invalid ones (negative mode).
        cases = strategies.one_of(operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
                                  operation.as_strategy(schemathesis.GenerationMode.NEGATIVE))

        @given(case=cases)
        @settings(max_examples=40, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            response = case.call(headers=headers)
            seen.setdefault(operation.path, set()).add(response.status_code)
            assert response.status_code < 500, (operation.path, response.status_code,
                                                response.text[:300])

        fuzz()
    # Both kinds of parameters were tried: refused ones (400) and valid ones that found no
    # song (404) or were answered (200).
    assert 200 in seen["/health"]
    for path in ("/prediction", "/features", "/tracks/{track_id}/prediction"):
        assert 400 in seen[path] and seen[path] & {200, 404}, (path, seen[path])
