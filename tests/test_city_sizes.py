"""``marketplace seed city`` sized for the whole city: ``--volunteers``, ``--needs``, ``--offers`` are city totals."""

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from marketplace.cli import main
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.places.models import Community, Grid
from marketplace.volunteers.models import VolunteerProfile


def test_seed_city_holds_exactly_the_totals_asked_for_shared_over_its_streets(tmp_path: Path) -> None:
    env = {"MARKETPLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'city.sqlite3'}", "MARKETPLACE_VAR_DIR": str(tmp_path)}
    arguments = ["seed", "city", "--streets", "3", "--volunteers", "1500", "--needs", "700", "--offers", "300"]
    seeded = CliRunner().invoke(main, [*arguments, "--today", "2026-05-01"], env=env)
    assert seeded.exit_code == 0, seeded.output
    assert "Seeding a city of 3 streets, 1,500 volunteers, 700 needs, 300 offers" in seeded.output
    engine = sa.create_engine(env["MARKETPLACE_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            count = {
                model.__name__: connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
                for model in (VolunteerProfile, Need, Offer)
            }
            assert count == {"VolunteerProfile": 1500, "Need": 700, "Offer": 300}
            street = sa.select(Community.street_id).join(Grid, Grid.community_id == Community.id)
            homes = connection.execute(
                street.add_columns(sa.func.count())
                .join(VolunteerProfile, VolunteerProfile.home_grid_id == Grid.id)
                .group_by(Community.street_id)
            ).all()
            # Hudao keeps its story's volunteers; the other two streets share the rest, each a good part.
            assert len(homes) == 3 and all(volunteers > 200 for _street, volunteers in homes)
    finally:
        engine.dispose()


def test_seed_city_refuses_totals_too_small_for_its_streets(tmp_path: Path) -> None:
    env = {"MARKETPLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'city.sqlite3'}", "MARKETPLACE_VAR_DIR": str(tmp_path)}
    seeded = CliRunner().invoke(main, ["seed", "city", "--streets", "3", "--needs", "10"], env=env)
    assert seeded.exit_code != 0
    assert "needs: 10 is too few for 3 streets" in seeded.output
