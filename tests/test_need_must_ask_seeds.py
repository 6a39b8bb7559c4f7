"""The demo and synthetic seeds (``marketplace seed``, ``marketplace demo``) write their needs directly, not
through the publish service: none of their published projects may ask for nothing (services.asking), on the
seed's own clock (a shift over by now asks for nobody, but the seed's street lives on ``TODAY``)."""

import sqlalchemy as sa

from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.services import asking
from seeds.clock import SeedClock
from seeds.synthetic import seed_synthetic
from tests.test_seeds import TODAY, count, hudao  # noqa: F401  (the seeded-street fixture)


def _published_asking_nothing(engine: sa.Engine) -> int:
    return int(count(engine, Need, Need.status == NeedStatus.PUBLISHED, sa.not_(asking(Need.id, SeedClock(TODAY).now))))


def test_the_hudao_seed_publishes_no_need_that_asks_for_nothing(hudao: sa.Engine) -> None:  # noqa: F811
    assert count(hudao, Need, Need.status == NeedStatus.PUBLISHED) > 10
    assert _published_asking_nothing(hudao) == 0


def test_a_synthetic_street_publishes_no_need_that_asks_for_nothing(clean_engine: sa.Engine) -> None:
    seed_synthetic(clean_engine, volunteers=500, today=TODAY)
    assert count(clean_engine, Need, Need.status == NeedStatus.PUBLISHED) > 0
    assert _published_asking_nothing(clean_engine) == 0
