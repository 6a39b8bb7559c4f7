"""Who "the admins" are for a need: the admins of the need's street, and the city admins (no street).

Every notification meant for admins chooses its recipients here, so a street admin never hears of another
street's needs, and a city admin hears of every street's.
"""

import sqlalchemy as sa
from sqlmodel import Session, col

from marketplace.accounts.models import Role, User
from marketplace.needs.models import Need
from marketplace.places.services import street_of_grid


def admins_of_street(db: Session, street_id: int | None) -> list[int]:
    """Active admins of ``street_id`` and every city admin, by id (None: city admins only)."""
    where_they_work = col(User.street_id).is_(None)
    if street_id is not None:
        where_they_work = sa.or_(where_they_work, User.street_id == street_id)
    statement = sa.select(User.id).where(User.role == Role.ADMIN, col(User.is_active).is_(True), where_they_work)
    return sorted({int(user_id) for user_id in db.execute(statement).scalars()})


def admins_of_need(db: Session, need_id: int) -> list[int]:
    """The admins who hear about ``need_id``: its street's admins and the city admins."""
    need = db.get(Need, need_id)
    street_id = street_of_grid(db, need.grid_id) if need is not None else None
    return admins_of_street(db, street_id)
