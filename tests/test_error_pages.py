"""Error pages raised before any handler (CSRF) still speak the reader's language and say why."""

from litestar import Litestar
from litestar.testing import TestClient


def test_a_csrf_refusal_explains_itself_in_english(client: TestClient[Litestar]) -> None:
    client.cookies.set("lang", "en")
    response = client.post("/login", data={"username": "someone", "password": "whatever-long"})
    assert response.status_code == 403
    assert 'lang="en"' in response.text
    assert "This form has expired or was sent from another site" in response.text


def test_a_csrf_refusal_explains_itself_in_chinese_by_default(client: TestClient[Litestar]) -> None:
    response = client.post("/login", data={"username": "someone", "password": "whatever-long"})
    assert response.status_code == 403
    assert "表单已过期" in response.text
