"""The public JSON API: grids, projects (the board) and one project; errors; the OpenAPI schema."""

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from tests.factories import (
    BENEFICIARY_ADDRESS,
    BENEFICIARY_NAME,
    BENEFICIARY_PHONE,
    StreetScenario,
    build_street,
    make_need,
)

PRIVATE_FIELDS = {"beneficiary_name", "beneficiary_phone", "beneficiary_address"}


@pytest.fixture
def street(session_factory: sessionmaker[Session]) -> StreetScenario:
    with session_factory() as session:
        return build_street(session)


def all_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in all_keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in all_keys(item)}
    return set()


def test_grids_list_every_grid_with_its_community_and_station(
    client: TestClient[Litestar], street: StreetScenario
) -> None:
    grids = client.get("/api/v1/grids").json()
    assert [grid["id"] for grid in grids] == [grid.id for grid in street.grids]
    first = grids[0]
    assert set(first) == {
        "id",
        "code",
        "number",
        "name",
        "name_en",
        "community",
        "latitude",
        "longitude",
        "households",
        "service_station",
    }
    assert first["community"] == {"id": street.communities[0].id, "name": "湖岛社区", "name_en": "Hudao Community"}
    assert first["service_station"]["address"] == "杭州路12号"
    assert grids[1]["service_station"] is None
    assert first["latitude"] == pytest.approx(street.grids[0].latitude)


def test_projects_are_the_board_with_totals(client: TestClient[Litestar], street: StreetScenario) -> None:
    body = client.get("/api/v1/projects").json()
    assert set(body) == {"items", "total", "page", "page_size", "pages"}
    assert body["total"] == len(street.public_needs)
    assert body["page"] == 1 and body["pages"] == 1 and body["page_size"] == 20
    assert {item["title"] for item in body["items"]} == {need.title for need in street.public_needs}
    assert body["items"][0]["title"] == street.needs["elderly"].title  # critical first

    bricks = next(item for item in body["items"] if item["id"] == street.needs["bricks"].id)
    assert bricks["category"] == "renovation"
    assert bricks["status"] == "published"
    assert bricks["urgency"] == "high"
    assert bricks["due_date"] == "2026-06-01"
    assert bricks["grid"]["id"] == street.grids[0].id
    assert bricks["community"]["name_en"] == "Hudao Community"
    assert bricks["resources"][0] | {"id": 0} == {
        "id": 0,
        "kind": "material",
        "kind_label": "物资",
        "category": "renovation",
        "description": "透水砖",
        "quantity": 5000.0,
        "still_needed": 1800.0,
        "unit": "m²",
    }
    elderly = body["items"][0]
    assert elderly["shifts"][0]["open_slots"] == 3
    assert elderly["shifts"][0]["starts_at"] == "2026-05-04T09:00:00Z"


def test_labels_follow_the_language(client: TestClient[Litestar], street: StreetScenario) -> None:
    chinese = client.get(f"/api/v1/projects/{street.needs['bricks'].id}").json()
    english = client.get(f"/api/v1/projects/{street.needs['bricks'].id}", headers={"Accept-Language": "en"}).json()
    assert (chinese["category_label"], english["category_label"]) == ("老旧小区改造", "Old residential area renovation")
    assert chinese["category"] == english["category"] == "renovation"


def test_projects_filters_combine(client: TestClient[Litestar], street: StreetScenario) -> None:
    def titles(**params: Any) -> set[str]:
        return {item["title"] for item in client.get("/api/v1/projects", params=params).json()["items"]}

    needs = street.needs
    assert titles(category="renovation") == {needs["bricks"].title, needs["pavilion"].title}
    assert titles(category="renovation", status="partially_matched") == {needs["pavilion"].title}
    assert titles(grid=street.grids[2].id) == {needs["elderly"].title, needs["mediation"].title}
    assert titles(community=street.communities[0].id, status="completed") == {needs["vaccination"].title}


def test_projects_paginate(
    client: TestClient[Litestar], session_factory: sessionmaker[Session], street: StreetScenario
) -> None:
    with session_factory() as session:
        for number in range(9):
            make_need(session, street.grids[0], title=f"分页{number}")
        session.commit()
    total = len(street.public_needs) + 9
    seen: list[int] = []
    for page in (1, 2, 3):
        body = client.get("/api/v1/projects", params={"page": page, "page_size": 7}).json()
        assert body["total"] == total and body["pages"] == 3 and body["page"] == page
        seen += [item["id"] for item in body["items"]]
    assert len(seen) == len(set(seen)) == total
    assert client.get("/api/v1/projects", params={"page": 4, "page_size": 7}).json()["items"] == []


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("category=gardening", "category"),
        ("status=submitted", "status"),
        ("status=under_review", "status"),
        ("grid=abc", "grid"),
        ("grid=0", "grid"),
        ("grid=99999", "grid"),
        ("grid=99999999999999999999", "grid"),
        ("page=99999999999999999999", "page"),
        ("community=99999", "community"),
        ("page=0", "page"),
        ("page_size=101", "page_size"),
        ("page_size=0", "page_size"),
    ],
)
def test_invalid_query_is_a_400_naming_the_field(
    client: TestClient[Litestar], street: StreetScenario, query: str, key: str
) -> None:
    response = client.get(f"/api/v1/projects?{query}")
    assert response.status_code == 400
    body = response.json()
    assert [problem["key"] for problem in body["extra"]] == [key]
    assert body["extra"][0]["message"]


def test_one_project_in_full(client: TestClient[Litestar], street: StreetScenario) -> None:
    bricks = street.needs["bricks"]
    body = client.get(f"/api/v1/projects/{bricks.id}").json()
    assert body["description"] == bricks.description
    assert body["channel"] == "grid_walk"
    assert body["service_station"]["opening_hours"] == "周一至周五 8:30–17:30"
    assert body["satisfaction"] is None
    mediation = client.get(f"/api/v1/projects/{street.needs['mediation'].id}").json()
    assert mediation["satisfaction"] == 5
    assert mediation["verified_at"] is not None


@pytest.mark.parametrize("need_id", ["424242", "99999999999999999999", "0"])
def test_unknown_project_is_a_json_404(client: TestClient[Litestar], need_id: str) -> None:
    response = client.get(f"/api/v1/projects/{need_id}")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


@pytest.mark.parametrize("key", ["submitted", "review", "rejected", "cancelled"])
def test_non_public_project_is_a_json_404(client: TestClient[Litestar], street: StreetScenario, key: str) -> None:
    response = client.get(f"/api/v1/projects/{street.needs[key].id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert street.needs[key].title not in response.text


def test_no_beneficiary_data_in_any_public_json(client: TestClient[Litestar], street: StreetScenario) -> None:
    bodies = [
        client.get("/api/v1/projects").json(),
        client.get("/api/v1/grids").json(),
        client.get("/api/v1/stats").json(),
    ]
    bodies += [client.get(f"/api/v1/projects/{need.id}").json() for need in street.needs.values()]
    for body in bodies:
        text = json.dumps(body, ensure_ascii=False)
        for private in (BENEFICIARY_NAME, BENEFICIARY_PHONE, BENEFICIARY_ADDRESS):
            assert private not in text
        assert not all_keys(body) & PRIVATE_FIELDS


def test_openapi_documents_the_public_api_and_not_the_pages(client: TestClient[Litestar]) -> None:
    schema = client.get("/schema/openapi.json").json()
    operations = {
        path: {method: operation["operationId"] for method, operation in item.items()}
        for path, item in schema["paths"].items()
    }
    assert operations["/api/v1/grids"] == {"get": "listGrids"}
    assert operations["/api/v1/projects"] == {"get": "listProjects"}
    assert operations["/api/v1/projects/{need_id}"] == {"get": "getProject"}
    assert operations["/api/v1/stats"] == {"get": "getStats"}
    assert not any(path.startswith(("/projects", "/figures")) or path == "/" for path in operations)

    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/projects"]["get"]["parameters"]}
    assert set(parameters) == {"category", "community", "grid", "status", "street", "page", "page_size"}
    assert "PublicStatus" in json.dumps(parameters["status"]["schema"])
    public_statuses = schema["components"]["schemas"]["PublicStatus"]["enum"]
    assert "verified" in public_statuses and "submitted" not in public_statuses
    assert "ProjectDetail" in json.dumps(schema["components"]["schemas"])
