def test_home_renders_for_visitors(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Jornada" in response.content
