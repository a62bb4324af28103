"""Inputs the fuzzer found: impossible UTC offsets in date-time filters, NUL in an account
reference. Each is a 400 with the parameter named, never a database error."""

import pytest


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/tasks/?due_before=0361-05-05T15:09:50%2B22:46",
        "/api/v1/touchpoints/?since=1257-01-17T18:48:55-18:34",
        "/api/v1/accounts/?updated_after=2026-01-01T00:00:00%2B15:00",
        "/api/v1/touchpoints/?since=1850-01-01T00:00:00Z",
    ],
)
def test_impossible_datetimes_in_filters_are_a_400(org, member, client_for, url):
    response = client_for(member("manager")).get(url)
    assert response.status_code == 400, response.content


def test_nul_in_an_account_reference_is_a_400(org, member, client_for):
    response = client_for(member("csm")).post(
        "/api/v1/success-plans/", {"account": "\x00Q", "title": "Plan"}
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["account"]
