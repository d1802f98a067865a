from fastapi.testclient import TestClient

from main import app

client = TestClient(app)


def test_hello():
    assert client.get("/", params={"name": "Weft"}).json() == {"message": "Hello, Weft!"}
