"""Names, phones and addresses from pools drawn once from Faker, then combined with the run's own RNG.

Calling Faker per row is too slow for 100,000 volunteers; drawing pools once keeps the names
believable (Faker's zh_CN surnames follow their real frequencies) and the run deterministic.
"""

import random

from faker import Faker
from faker.providers.phone_number.zh_CN import Provider as ZhPhoneProvider


class PeoplePools:
    def __init__(self, seed: int, *, surnames: int = 400, given_names: int = 1200, english_names: int = 80) -> None:
        zh = Faker("zh_CN")
        zh.seed_instance(seed)
        en = Faker("en_US")
        en.seed_instance(seed)
        self.surnames = [zh.last_name() for _ in range(surnames)]
        self.given_names = [zh.first_name() for _ in range(given_names)]
        self.english_names = [en.name() for _ in range(english_names)]
        self.phone_prefixes = [str(prefix) for prefix in ZhPhoneProvider.phonenumber_prefixes]

    def name(self, rng: random.Random) -> str:
        return rng.choice(self.surnames) + rng.choice(self.given_names)

    def english_name(self, rng: random.Random) -> str:
        return rng.choice(self.english_names)

    def phone(self, rng: random.Random) -> str:
        return rng.choice(self.phone_prefixes) + f"{rng.randrange(100_000_000):08d}"


def flat_address(rng: random.Random, building: str) -> str:
    """A flat in a building of a residential compound: ``湖岛新村5号楼`` gives ``湖岛新村5号楼2单元301室``."""
    return f"{building}{rng.randint(1, 4)}单元{rng.randint(1, 7)}0{rng.randint(1, 4)}室"


def street_address(rng: random.Random, city: str, district: str, road: str) -> str:
    return f"{city}{district}{road}{rng.randint(1, 180)}号"
