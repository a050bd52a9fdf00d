"""Demo experts (``corpus/handoff/experts.yaml``): users with role ``expert``, their
skills (product lines) and capacity (sessions at once)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import select

from assistant.auth import hash_password
from assistant.handoff.errors import ExpertsFileError
from assistant.handoff.hours import ServiceHours
from assistant.handoff.tables import HandoffExpert
from assistant.storage.db import Database
from assistant.storage.models import User, utcnow

log = logging.getLogger(__name__)

EXPERT_ROLE = "expert"

Username = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)]
LineId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*$", max_length=16)]


class ExpertEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: Username
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    partner: str = "N-001"  # the manufacturer's own node
    skills: list[LineId] = Field(min_length=1)
    capacity: int = Field(default=2, ge=1, le=20)


class ExpertsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    experts: list[ExpertEntry]
    service_hours: ServiceHours | None = None  # when experts work: tickets promise callbacks inside


def _parse(path: Path) -> ExpertsFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return ExpertsFile.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise ExpertsFileError(f"{path}: -: cannot read: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{path}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ExpertsFileError(problems) from exc


def load_service_hours(path: Path) -> ServiceHours | None:
    """The experts' service hours of the experts file; None when the file or the section is absent."""
    return _parse(path).service_hours if path.exists() else None


def load_experts(path: Path) -> list[ExpertEntry]:
    """Parse and validate the experts file; every problem as ``file: field: problem``."""
    parsed = _parse(path)
    names = [e.username for e in parsed.experts]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ExpertsFileError(f"{path}: experts: duplicate username(s) {duplicates}")
    return list(parsed.experts)


def seed_experts(db: Database, path: Path, *, password: str | None) -> int:
    """Set the experts' skills and capacity from the file.  With a (demo) ``password``,
    experts without an account get one (idempotent, a salt each: demo mode); without,
    only existing expert users are configured (accounts come from ``python -m assistant
    users``).  A username taken by a non-expert user is skipped.  Returns how many
    experts are configured."""
    if not path.exists():
        return 0
    entries = load_experts(path)
    seeded = 0
    with db.write() as s:
        users = {u.username: u for u in s.scalars(select(User).where(User.username.in_([e.username for e in entries])))}
        for entry in entries:
            user = users.get(entry.username)
            if user is None and password is None:
                log.info("expert %s has no account yet: skills not set", entry.username)
                continue
            if user is None:
                assert password is not None
                user = User(
                    id=f"u-{entry.username}",
                    username=entry.username,
                    display_name=entry.display_name,
                    password_hash=hash_password(password, demo=True),
                    partner_id=entry.partner,
                    role=EXPERT_ROLE,
                    demo_password=True,
                )
                s.add(user)
                s.flush()  # the expert row refers to it
            elif user.role != EXPERT_ROLE:
                log.warning("expert %s not seeded: the username belongs to a %s user", entry.username, user.role)
                continue
            row = s.get(HandoffExpert, user.id)
            if row is None:
                s.add(HandoffExpert(user_id=user.id, skills=list(entry.skills), capacity=entry.capacity))
            else:
                row.skills = list(entry.skills)
                row.capacity = entry.capacity
                row.updated_at = utcnow()
            seeded += 1
    return seeded
