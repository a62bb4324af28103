"""Security headers every page carries (DESIGN.md, Security notes)."""


def test_pages_send_a_strict_content_security_policy(client, db):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_public_invitation_page_sends_only_its_origin_as_referrer(client, db):
    response = client.get("/invitations/unknown-token/")
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"
