"""The demo channel network on a fresh database, as the domain tests of training and tasks use it:
migrated, the rebate ledger opened from ``corpus/rebates`` with today pinned, and every user of
``channels.yaml`` stored (password hash "x": these tests sign nobody in) and returned as a
verified :class:`Caller` by username."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import yaml

from assistant.dialogue.types import Caller
from assistant.rebates.service import RebateService
from assistant.settings import PROJECT_ROOT
from assistant.storage.db import Database, migrate
from assistant.storage.models import User

REBATES = PROJECT_ROOT / "corpus" / "rebates"


@dataclass(frozen=True, slots=True)
class ChannelWorld:
    db: Database
    rebates: RebateService
    users: dict[str, Caller]


def open_channel_world(database_url: str, *, today: date | Callable[[], date]) -> ChannelWorld:
    migrate(database_url)
    db = Database(database_url)
    rebates = RebateService(db=db, today=today if callable(today) else (lambda: today))
    rebates.open(seed_dir=REBATES)
    data = yaml.safe_load((REBATES / "channels.yaml").read_text(encoding="utf-8"))
    users: dict[str, Caller] = {}
    with db.write() as s:
        for row in data["users"]:
            uid = f"u-{row['username']}"
            s.add(
                User(
                    id=uid,
                    username=row["username"],
                    display_name=row["display_name"],
                    password_hash="x",
                    partner_id=row["partner"],
                    role=row["role"],
                )
            )
            users[row["username"]] = Caller(user_id=uid, partner_id=row["partner"], role=row["role"])
    return ChannelWorld(db=db, rebates=rebates, users=users)
