"""Staff accounts: provisioning (``python -m assistant users add|passwd|import``), the demo
users of demo mode, and the start-up check that no demo password is left.

Every password gets its own argon2id hash and salt.  An operator's password is at least
``MIN_PASSWORD_CHARS`` long and never the demo password; when none is given one is
generated (``secrets``) and shown once by the command line.  Domain code: no HTTP here.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import func, select

from assistant.auth import hash_password, verify_password
from assistant.errors import AssistantError
from assistant.storage.db import Database
from assistant.storage.models import User

log = logging.getLogger(__name__)

ROLES = ("sales", "manager", "admin", "expert", "content_admin")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")
_PARTNER = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class UserAdminError(AssistantError):
    """A provisioning request that cannot be carried out; the message says why."""

    code = "invalid_user"


@dataclass(frozen=True, slots=True)
class UserSpec:
    username: str
    partner_id: str
    role: str = "sales"
    display_name: str = ""
    password: str | None = None  # None: generate one


@dataclass(frozen=True, slots=True)
class Provisioned:
    username: str
    password: str | None  # the generated password (shown once), None when it was given
    created: bool  # False: the user existed and was left alone (import)


def generate_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 bits


def check_spec(spec: UserSpec, *, demo_password: str) -> None:
    where = f"user {spec.username!r}"
    if not _USERNAME.match(spec.username):
        raise UserAdminError(f"{where}: a username is 2-64 of a-z 0-9 _ . - and starts with a letter")
    if not _PARTNER.match(spec.partner_id):
        raise UserAdminError(f"{where}: partner must be a channel node id such as P-HZ-01")
    if spec.role not in ROLES:
        raise UserAdminError(f"{where}: role must be one of {', '.join(ROLES)}")
    if len(spec.display_name) > 128:
        raise UserAdminError(f"{where}: display name longer than 128 characters")
    if spec.password is not None:
        check_password(spec.password, demo_password=demo_password, where=where)


def check_password(password: str, *, demo_password: str, where: str = "password") -> None:
    if password == demo_password:
        raise UserAdminError(f"{where}: the demo password may not be used outside demo mode")
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise UserAdminError(f"{where}: a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")


def _known_partner(db: Database, partner_id: str) -> bool:
    """Whether the channel network has the node; True while no network is loaded yet
    (the service seeds it on its first start)."""
    from assistant.rebates.tables import ChannelNodeRow

    with db.read() as s:
        if not s.scalar(select(func.count()).select_from(ChannelNodeRow)):
            return True
        return s.get(ChannelNodeRow, partner_id) is not None


def add_user(db: Database, spec: UserSpec, *, demo_password: str) -> Provisioned:
    """Create one user; UserAdminError if the name is taken or anything is invalid."""
    check_spec(spec, demo_password=demo_password)
    if not _known_partner(db, spec.partner_id):
        raise UserAdminError(f"user {spec.username!r}: no channel node {spec.partner_id!r}")
    password = spec.password if spec.password is not None else generate_password()
    password_hash = hash_password(password)
    with db.write() as s:
        if s.scalars(select(User.id).where(User.username == spec.username)).first() is not None:
            raise UserAdminError(f"user {spec.username!r} exists already (use passwd to change the password)")
        s.add(
            User(
                id=f"u-{spec.username}",
                username=spec.username,
                display_name=spec.display_name,
                password_hash=password_hash,
                partner_id=spec.partner_id,
                role=spec.role,
                demo_password=False,
            )
        )
    log.info("user added: id=u-%s role=%s partner=%s", spec.username, spec.role, spec.partner_id)
    return Provisioned(spec.username, None if spec.password is not None else password, created=True)


def set_password(db: Database, username: str, password: str | None, *, demo_password: str) -> Provisioned:
    """Give an existing user a new password (generated when None)."""
    if password is not None:
        check_password(password, demo_password=demo_password)
    new = password if password is not None else generate_password()
    password_hash = hash_password(new)
    with db.write() as s:
        user = s.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise UserAdminError(f"no user {username!r}")
        user.password_hash = password_hash
        user.demo_password = False
        user_id = user.id
    log.info("password changed: id=%s", user_id)
    return Provisioned(username, None if password is not None else new, created=False)


def import_users(db: Database, specs: Sequence[UserSpec], *, demo_password: str) -> list[Provisioned]:
    """Create every user of ``specs`` that does not exist yet (existing ones are left as
    they are and reported with ``created=False``).  Everything is checked before anything
    is written: one bad row and nothing is imported."""
    names = [spec.username for spec in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UserAdminError(f"username(s) repeated in the file: {', '.join(duplicates)}")
    for spec in specs:
        check_spec(spec, demo_password=demo_password)
        if not _known_partner(db, spec.partner_id):
            raise UserAdminError(f"user {spec.username!r}: no channel node {spec.partner_id!r}")
    with db.read() as s:
        existing = set(s.scalars(select(User.username).where(User.username.in_(names))))
    results: list[Provisioned] = []
    rows: list[User] = []
    for spec in specs:
        if spec.username in existing:
            results.append(Provisioned(spec.username, None, created=False))
            continue
        password = spec.password if spec.password is not None else generate_password()
        rows.append(
            User(
                id=f"u-{spec.username}",
                username=spec.username,
                display_name=spec.display_name,
                password_hash=hash_password(password),
                partner_id=spec.partner_id,
                role=spec.role,
                demo_password=False,
            )
        )
        results.append(Provisioned(spec.username, None if spec.password is not None else password, created=True))
    with db.write() as s:
        taken = set(s.scalars(select(User.username).where(User.username.in_([r.username for r in rows]))))
        if taken:
            raise UserAdminError(f"user(s) created meanwhile by someone else: {', '.join(sorted(taken))}")
        s.add_all(rows)
    log.info("users imported: %d created, %d existed", len(rows), len(results) - len(rows))
    return results


# -- reading files ---------------------------------------------------------------------------


def read_users_file(path: Path) -> list[UserSpec]:
    """Users from a YAML file with a ``users:`` list (``corpus/rebates/channels.yaml``'s
    layout: ``username``, ``partner``, ``role``, ``display_name``, optional ``password``) or
    an ``experts:`` list (``corpus/handoff/experts.yaml``: role ``expert``, partner N-001 by
    default), or a CSV file with a header row ``username,partner,role,display_name[,password]``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserAdminError(f"{path}: cannot read: {exc.strerror}") from exc
    if path.suffix.lower() == ".csv":
        return _from_csv(text, where=str(path))
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise UserAdminError(f"{path}: not valid YAML") from exc
    if not isinstance(data, dict) or not isinstance(data.get("users", data.get("experts")), list):
        raise UserAdminError(f"{path}: expected a 'users:' (or 'experts:') list")
    experts = "users" not in data
    rows = data["experts"] if experts else data["users"]
    return [_spec(row, where=f"{path}: entry {n + 1}", expert=experts) for n, row in enumerate(rows)]


def _from_csv(text: str, *, where: str) -> list[UserSpec]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"username", "partner"} - set(reader.fieldnames or ())
    if missing:
        raise UserAdminError(f"{where}: the header row needs {', '.join(sorted(missing))}")
    return [_spec(row, where=f"{where}: line {n + 2}") for n, row in enumerate(reader)]


def _spec(row: object, *, where: str, expert: bool = False) -> UserSpec:
    if not isinstance(row, dict):
        raise UserAdminError(f"{where}: not a mapping")
    username, partner = row.get("username"), row.get("partner", "N-001" if expert else None)
    if not isinstance(username, str) or not isinstance(partner, str):
        raise UserAdminError(f"{where}: username and partner are required")
    password = row.get("password") or None
    if password is not None and not isinstance(password, str):
        raise UserAdminError(f"{where}: password must be text")
    return UserSpec(
        username=username.strip(),
        partner_id=partner.strip(),
        role="expert" if expert else str(row.get("role") or "sales").strip(),
        display_name=str(row.get("display_name") or "").strip(),
        password=password,
    )


# -- demo mode ---------------------------------------------------------------------------------


def seed_demo_users(db: Database, path: Path, *, password: str) -> int:
    """Demo mode: create the users of a channels file with the demo password (idempotent),
    each with its own salt.  Returns how many were created."""
    if not path.exists():
        return 0
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    created = 0
    with db.write() as s:
        existing = set(s.scalars(select(User.username)).all())
        for row in data.get("users", []):
            if row["username"] in existing:
                continue
            s.add(
                User(
                    id=f"u-{row['username']}",
                    username=row["username"],
                    display_name=row.get("display_name", ""),
                    password_hash=hash_password(password, demo=True),
                    partner_id=row["partner"],
                    role=row.get("role", "sales"),
                    demo_password=True,
                )
            )
            created += 1
    return created


def users_with_demo_password(db: Database, demo_password: str) -> list[str]:
    """Usernames of active users whose password is the demo password.  Rows marked as
    operator-set are trusted; rows marked demo or not marked are verified against their
    hash, and the answer is recorded (so a database of real users is checked once)."""
    with db.read() as s:
        suspects = [
            (u.id, u.username, u.password_hash)
            for u in s.scalars(select(User).where(User.active.is_(True), User.demo_password.is_not(False)))
        ]
    found: list[str] = []
    verdicts: dict[str, bool] = {}
    by_hash: dict[str, bool] = {}  # databases seeded before 0007 share one demo hash
    for user_id, username, password_hash in suspects:
        if password_hash not in by_hash:
            by_hash[password_hash] = verify_password(demo_password, password_hash)
        is_demo = by_hash[password_hash]
        verdicts[user_id] = is_demo
        if is_demo:
            found.append(username)
    if verdicts:
        with db.write() as s:
            for user_id, is_demo in verdicts.items():
                user = s.get(User, user_id)
                if user is not None:
                    user.demo_password = is_demo
    return sorted(found)


def describe(names: Iterable[str], *, limit: int = 12) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
