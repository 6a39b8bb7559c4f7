"""The demo logins, one per role, all with the same published password.

The password hash is made with the application's argon2 parameters but a salt derived from the
seed, so seeding twice gives byte-identical rows (a random salt would not). The password is
public anyway: never seed these accounts into a database that faces the internet.
"""

import hashlib
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher, extract_parameters

from marketplace.accounts.models import Role
from marketplace.accounts.passwords import hash_password

DEMO_PASSWORD = "hudao-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    username: str
    display_name: str
    description: str
    description_zh: str


DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount(
        Role.ADMIN,
        "admin",
        "林晓华",
        "street admin: vets organizations, publishes projects, approves every match, sees dashboards and the audit log",
        "街道管理员：审核合伙人单位、发布项目、批准每一次对接、查看数据看板和审计日志",
    ),
    DemoAccount(
        Role.STAFF,
        "staff",
        "王海燕",
        "community staff of Hudao Community, scoped to its grids: records needs, posts shifts, verifies delivery",
        "湖岛社区工作人员（负责本社区网格）：登记需求、发布志愿班次、核验完成情况",
    ),
    DemoAccount(
        Role.PARTNER,
        "partner",
        "张建国",
        "manager of Qingdao Lvfan Recycled Building Materials: publishes offers, claims projects",
        "青岛绿帆再生建材有限公司管理员：发布资源清单、认领项目",
    ),
    DemoAccount(
        Role.VOLUNTEER,
        "volunteer",
        "刘志强",
        "party-member volunteer of Hudao New Village: signs up for shifts, checks in and out, sees their hours",
        "湖岛新村党员志愿者：报名志愿班次、签到签退、查看服务时长",
    ),
    DemoAccount(
        Role.ADMIN,
        "city",
        "赵文静",
        "city admin (no street of their own): compares every street's figures at /admin/city, acts on every street",
        "市级管理员（不属于某一街道）：在 /admin/city 对比各街道数据，可处理所有街道的事务",
    ),
]
CITY_USERNAME = "city"


def demo_account(role: Role) -> DemoAccount:
    """The demo login of a role (for admins: the street admin ``admin``, not the city admin)."""
    return next(account for account in DEMO_ACCOUNTS if account.role == role)


def city_account() -> DemoAccount:
    return next(account for account in DEMO_ACCOUNTS if account.username == CITY_USERNAME)


@cache
def demo_password_hash(seed: int) -> str:
    """The demo password hashed like ``hash_password`` does, with a salt derived from ``seed``."""
    parameters = extract_parameters(hash_password(DEMO_PASSWORD))
    salt = hashlib.sha256(f"red-partners-demo:{seed}".encode()).digest()[: parameters.salt_len]
    return PasswordHasher.from_parameters(parameters).hash(DEMO_PASSWORD, salt=salt)
