"""Choosing a street on a public form never loses what was typed.

In a city, the report form, the organization registration and the volunteer registration ask for the street
first. The street is a field of the form itself: its button "Show this street's grids" (``action=choose_street``)
sends the form back with every value kept and the chosen street's grids listed, nothing checked or saved (the
password aside: no page carries it back). Its first option reads "Choose a street" (请选择街道), and sending the
form without a street is refused on that field. ``?street=<code>`` links still choose the street; a one-street
deployment's forms have no street field at all.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.needs.models import Need
from marketplace.organizations.models import Organization
from marketplace.places.models import Grid
from marketplace.settings import Settings
from marketplace.volunteers.models import Skill
from tests.orgs_helpers import valid_credit_code
from tests.security_helpers import make_grid, post_form, reading
from tests.street_fixtures import TwoStreets, build_two_streets

CHOOSE = {"action": "choose_street"}


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    return build_two_streets(session, session_factory, settings)


class FormState(HTMLParser):
    """What a browser would send from the page's form posting to ``action``: each field's values."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.values: dict[str, list[str]] = {}
        self.options: dict[str, list[str]] = {}  # every option value of each select
        self.buttons: list[dict[str, str]] = []
        self._select: str | None = None
        self._select_values: list[str] = []
        self._first_option: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = found.get("action") == self.action and found.get("method") == "post"
            return
        if not self.inside:
            return
        name = found.get("name", "")
        if tag == "input" and name:
            kind = found.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in found:
                    self.values.setdefault(name, []).append(found.get("value", "on"))
            else:
                self.values.setdefault(name, []).append(found.get("value", ""))
        elif tag == "button":
            self.buttons.append(found)
        elif tag == "select" and name:
            self._select, self._select_values, self._first_option = name, [], None
            self.options.setdefault(name, [])
        elif tag == "option" and self._select is not None:
            value = found.get("value", "")
            self.options[self._select].append(value)
            if self._first_option is None:
                self._first_option = value
            if "selected" in found:
                self._select_values.append(value)
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            chosen = self._select_values or ([self._first_option] if self._first_option is not None else [])
            self.values.setdefault(self._select, []).extend(chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.values.setdefault(self._textarea, []).append("".join(self._text).lstrip("\n"))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def form_state(html: str, action: str) -> FormState:
    state = FormState(action)
    state.feed(html)
    return state


@dataclass(frozen=True)
class PublicForm:
    path: str
    grid_field: str  # the field listing the street's grids
    fields: dict[str, Any]  # a resident's typing, the grid left out
    rows: Any  # the table a sent form adds a row to


def _skill_ids(session: Session) -> list[int]:
    with reading(session) as fresh:
        ids = [int(i) for i in fresh.execute(sa.select(Skill.id).order_by(Skill.id).limit(2)).scalars()]
    if ids:
        return ids
    rows = [
        Skill(code="keep-lanes", group="care", name="楼道保洁", name_en="Stairwell cleaning"),
        Skill(code="keep-lights", group="repair", name="电路维修", name_en="Wiring repairs"),
    ]
    session.add_all(rows)
    session.commit()
    return [int(row.id) for row in rows if row.id is not None]


def public_forms(session: Session) -> list[PublicForm]:
    skills = _skill_ids(session)
    return [
        PublicForm(
            "/submit",
            "grid_id",
            {
                "title": "楼道灯坏了 & <不亮>",
                "description": "3号楼2单元，\n已经一周。",
                "category": "travel_safety",
                "urgency": "high",
                "beneficiary_name": "赵明",
                "beneficiary_phone": "13700001111",
            },
            Need,
        ),
        PublicForm(
            "/register/organization",
            "grid_ids",
            {
                "name": "青岛红帆物业服务有限公司",
                "name_en": "Red Sail Property",
                "kind": "enterprise",
                "credit_code": valid_credit_code(9),
                "contact_name": "王建国",
                "contact_phone": "13800138000",
                "address": "湖岛路12号",
                "description": "维修、保洁",
                "username": "hongfan-street",
                "display_name": "王建国",
                "phone": "13800138001",
                "password": "red sail keeps the pavilions",
            },
            Organization,
        ),
        PublicForm(
            "/register/volunteer",
            "home_grid_id",
            {
                "username": "xiaoli-street",
                "display_name": "李小丽",
                "phone": "13912345678",
                "password": "volunteers plant trees",
                "segment": "party_member",
                "is_party_member": "1",
                "weekly_hour_cap": "6",
                "skill_ids": [str(skill) for skill in skills],
                "slots": ["0-morning", "5-afternoon"],
                "interests": ["elderly_care"],
            },
            User,
        ),
    ]


FORM_PATHS = ["/submit", "/register/organization", "/register/volunteer"]


def _form(session: Session, path: str) -> PublicForm:
    return next(form for form in public_forms(session) if form.path == path)


def _count(session: Session, model: Any) -> int:
    with reading(session) as fresh:
        return int(fresh.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def _street_grids(session: Session, world: TwoStreets, key: str) -> set[str]:
    side = world.side(key)
    with reading(session) as fresh:
        rows = fresh.execute(
            sa.select(Grid.id).where(Grid.community_id.in_([c.id for c in side.communities]))  # type: ignore[union-attr]
        )
        return {str(grid_id) for grid_id in rows.scalars()}


def _grids_listed(state: FormState, form: PublicForm, html: str) -> set[str]:
    if form.grid_field == "grid_ids":  # the organization's checkboxes
        return set(re.findall(r'type="checkbox" name="grid_ids" value="(\d+)"', html))
    # Grids only: the report form also offers "not sure" and each community "not sure which grid" (community-<id>).
    options = state.options.get(form.grid_field, [])
    return {value for value in options if value and value != "not-sure" and not value.startswith("community-")}


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def assert_kept(state: FormState, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name == "password":
            assert state.values.get(name) == [""], "a page never carries a password back"
            continue
        assert sorted(state.values.get(name, [])) == sorted(_as_list(value)), name


@pytest.mark.parametrize("path", FORM_PATHS)
def test_choosing_a_street_keeps_every_value_and_lists_its_grids(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets, path: str
) -> None:
    client.cookies.set("lang", "en")
    form = _form(session, path)
    before = _count(session, form.rows)
    first = client.get(path)
    assert first.status_code == 200
    empty = form_state(first.text, path)
    assert empty.values["street"] == [""] and not _grids_listed(empty, form, first.text)

    chosen = post_form(client, settings, path, form.fields | CHOOSE | {"street": world.b.street.code})
    assert chosen.status_code == 200, chosen.text[-2000:]
    state = form_state(chosen.text, path)
    assert state.values["street"] == [world.b.street.code]
    assert_kept(state, form.fields)
    assert _grids_listed(state, form, chosen.text) == _street_grids(session, world, "B")
    assert "field-error" not in chosen.text and "banner-problem" not in chosen.text  # nothing checked
    assert 'id="f-street"' in chosen.text and "autofocus" in chosen.text
    if "password" in form.fields:
        assert "Please type your password again" in chosen.text
    assert _count(session, form.rows) == before

    # Another street: its grids replace the first street's, a grid of the first street no longer offered.
    grid_b = sorted(_street_grids(session, world, "B"))[0]
    typed = form.fields | {form.grid_field: [grid_b] if form.grid_field == "grid_ids" else grid_b}
    switched = post_form(client, settings, path, typed | CHOOSE | {"street": world.a.street.code})
    assert switched.status_code == 200
    state = form_state(switched.text, path)
    assert state.values["street"] == [world.a.street.code]
    assert_kept(state, form.fields)
    assert _grids_listed(state, form, switched.text) == _street_grids(session, world, "A")
    assert _count(session, form.rows) == before


@pytest.mark.parametrize("path", FORM_PATHS)
def test_the_street_can_be_chosen_back_to_none_without_a_complaint(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets, path: str
) -> None:
    client.cookies.set("lang", "en")
    form = _form(session, path)
    page = post_form(client, settings, path, form.fields | CHOOSE | {"street": ""})
    assert page.status_code == 200
    state = form_state(page.text, path)
    assert state.values["street"] == [""] and not _grids_listed(state, form, page.text)
    assert_kept(state, form.fields)
    assert "field-error" not in page.text


@pytest.mark.parametrize("path", FORM_PATHS)
def test_an_unknown_street_is_named_on_the_field_with_the_values_kept(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets, path: str
) -> None:
    client.cookies.set("lang", "en")
    form = _form(session, path)
    for extra in (CHOOSE, {}):
        page = post_form(client, settings, path, form.fields | extra | {"street": "no-such-street"})
        assert page.status_code == 400
        assert 'id="street-error"' in page.text and "Choose one of the offered streets." in page.text
        assert_kept(form_state(page.text, path), form.fields)


@pytest.mark.parametrize("path", FORM_PATHS)
def test_a_form_sent_without_a_street_is_refused_naming_the_field(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets, path: str
) -> None:
    client.cookies.set("lang", "en")
    form = _form(session, path)
    before = _count(session, form.rows)
    grid_b = sorted(_street_grids(session, world, "B"))[0]
    # Everything filled in, a grid too (as from an old page), but no street.
    typed = form.fields | {form.grid_field: [grid_b] if form.grid_field == "grid_ids" else grid_b}
    refused = post_form(client, settings, path, typed)
    assert refused.status_code == 400, refused.text[-1500:]
    assert 'id="street-error"' in refused.text and "Choose a street." in refused.text
    select = re.search(r'<select id="f-street"[^>]*>', refused.text)
    assert select is not None and 'aria-invalid="true"' in select.group(0)
    if path == "/submit":  # the summary names the field, first, and links to it
        summary = refused.text.split("need-error-summary")[1].split("</ul>")[0]
        assert summary.split("<li>")[1].startswith('<a href="#f-street">Street</a>')
    assert_kept(form_state(refused.text, path), form.fields)
    assert _count(session, form.rows) == before


@pytest.mark.parametrize("path", FORM_PATHS)
def test_the_sent_form_with_its_street_is_saved(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets, path: str
) -> None:
    form = _form(session, path)
    before = _count(session, form.rows)
    grid_b = sorted(_street_grids(session, world, "B"))[0]
    typed = form.fields | {form.grid_field: [grid_b] if form.grid_field == "grid_ids" else grid_b}
    sent = post_form(client, settings, path, typed | {"street": world.b.street.code, "action": "send"})
    assert sent.status_code == 303, sent.text[-2000:]
    assert _count(session, form.rows) == before + 1


@pytest.mark.parametrize("path", FORM_PATHS)
def test_choosing_a_street_needs_the_csrf_token(
    client: TestClient[Any], session: Session, world: TwoStreets, path: str
) -> None:
    form = _form(session, path)
    client.get(path)
    refused = client.post(path, data=form.fields | CHOOSE | {"street": world.b.street.code}, follow_redirects=False)
    assert refused.status_code == 403


@pytest.mark.parametrize("path", FORM_PATHS)
def test_the_street_field_reads_choose_a_street_in_both_languages(
    client: TestClient[Any], world: TwoStreets, path: str
) -> None:
    client.cookies.set("lang", "zh_CN")
    zh = client.get(path).text
    assert '<option value="">请选择街道</option>' in zh and "显示该街道的网格" in zh and "全部街道" not in zh
    client.cookies.set("lang", "en")
    en = client.get(f"{path}?street={world.a.street.code}").text
    assert '<option value="">Choose a street</option>' in en and "Every street" not in en
    assert form_state(en, path).values["street"] == [world.a.street.code]  # a ?street= link chooses it
    # The choose button is a submit button of the form; a hidden copy of the send button comes first, so
    # Enter in a text field sends the form.
    buttons = form_state(en, path).buttons
    assert "hidden" in buttons[0] and buttons[0].get("name") is None
    assert {"name": "action", "value": "choose_street"}.items() <= buttons[1].items()


@pytest.mark.parametrize("path", FORM_PATHS)
def test_a_one_street_deployment_has_no_street_field(
    client: TestClient[Any], session: Session, settings: Settings, path: str
) -> None:
    grid = make_grid(session)
    session.commit()
    client.cookies.set("lang", "en")
    page = client.get(path).text
    for absent in ('id="f-street"', "choose_street", 'id="street-picker"', "Choose a street", "hidden tabindex"):
        assert absent not in page, absent
    form = _form(session, path)
    state = form_state(page, path)
    assert "street" not in state.values
    listed = _grids_listed(state, form, page)
    assert listed == {str(grid.id)}
    typed = form.fields | {form.grid_field: [grid.id] if form.grid_field == "grid_ids" else grid.id}
    assert post_form(client, settings, path, typed).status_code == 303
