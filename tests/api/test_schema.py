"""The OpenAPI schema is the integrations' contract: it is committed (openapi.yaml, written by
`make schema`) and this test fails when the code drifts from it."""

from django.core.management import call_command

from tests.snapshots import SNAPSHOT_PATH

SNAPSHOT = SNAPSHOT_PATH


def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    assert generated.read_text() == SNAPSHOT.read_text(), (
        "API changed: run `make schema` and commit openapi.yaml"
    )


def test_schema_and_docs_are_served_offline(client, db):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")
    assert schema.status_code == 200
    assert b"/api/v1/accounts/" in schema.content
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    assert b"/static/drf_spectacular_sidecar/" in docs.content
