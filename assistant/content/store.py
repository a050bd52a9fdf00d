"""The knowledge base as versioned records: edit, review, publish, roll back, import, export.

Every entry of the corpus (a product with its parameter table, competitor blocks and
faults; a sales script; a case; an FAQ; a lesson) is a :class:`ContentItem` with the
history of its bodies (:class:`ContentVersion`).  A body is the entry's YAML mapping as
data, validated by the same schema as ``corpus/`` with the same ``field: problem`` errors.

The published versions, written out by :meth:`ContentStore.materialize`, are a corpus
directory in the layout of ``corpus/``: the index is built from it and the engine reads
it, exactly as from the seed.  ``corpus/`` is the seed of a first start (:meth:`seed`)
and the import/export format; an export imported into an empty store exports to the same
bytes again.

Saving is optimistic: a save names the version it was edited from (``base_version``) and
is refused with ``content_conflict`` when someone saved another since; nothing is lost,
the refused text stays with its editor and the current one is in the error.
"""

from __future__ import annotations

import difflib
import json
import logging
import shutil
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.content.loader import KIND_DIRS, CorpusError, corpus_from_files, load_corpus, load_yaml
from assistant.content.tables import ContentItem, ContentRelease, ContentVersion
from assistant.errors import AssistantError
from assistant.storage.db import Database
from assistant.storage.models import utcnow

log = logging.getLogger(__name__)

KINDS: tuple[str, ...] = tuple(KIND_DIRS)  # products, scripts, cases, faq, lessons
SEED_AUTHOR = "seed"
MAX_NOTE_CHARS = 500
MAX_IMPORT_ENTRIES = 2000

DRAFT, REVIEW, PUBLISHED, SUPERSEDED, WITHDRAWN = "draft", "review", "published", "superseded", "withdrawn"
PENDING, BUILDING, LIVE, FAILED = "pending", "building", "live", "failed"


class ContentError(AssistantError):
    code = "content_error"


class ContentNotFoundError(ContentError):
    code = "content_not_found"


class UnknownKindError(ContentError):
    code = "content_kind_unknown"


class ContentConflictError(ContentError):
    """Someone saved the item since the version this edit started from."""

    code = "content_conflict"

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class ContentForbiddenError(ContentError):
    code = "forbidden"


EDITOR_ROLES = frozenset({"admin", "content_admin"})


def require_editor(role: str) -> None:
    """Content is edited, reviewed and published by content admins (and admins) only."""
    if role not in EDITOR_ROLES:
        raise ContentForbiddenError("content admins only")


class ContentStateError(ContentError):
    """The version is not in a state that allows the step (submit a published one...)."""

    code = "content_state"


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # "answer", "params.3.unit", "-" for the whole entry
    problem: str
    entry_id: str = ""
    row: int | None = None  # the 0-based row of an import


class ContentInvalidError(ContentError):
    code = "content_invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = "; ".join(f"{p.entry_id + ': ' if p.entry_id else ''}{p.field}: {p.problem}" for p in problems[:10])
        super().__init__(f"{len(problems)} problem(s): {shown}")


class ImportRefusedError(ContentInvalidError):
    """A bulk import had refused rows: nothing of it was written."""

    code = "import_refused"


# -- views -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionView:
    version: int
    status: str
    author: str
    note: str
    created_at: datetime
    published_at: datetime | None
    published_by: str | None


@dataclass(frozen=True, slots=True)
class ItemView:
    kind: str
    entry_id: str
    title: str
    file: str
    latest_version: int
    published_version: int | None
    status: str  # of the latest version
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class ItemDetail:
    item: ItemView
    body: dict[str, Any]  # the latest version's
    yaml: str
    published_yaml: str  # "" when never published
    versions: tuple[VersionView, ...]


@dataclass(frozen=True, slots=True)
class ItemPage:
    items: tuple[ItemView, ...]
    total: int


@dataclass(frozen=True, slots=True)
class ReleaseView:
    id: int
    status: str
    stage: str
    progress: float
    error: str
    items: tuple[str, ...]
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    build_id: str


@dataclass(frozen=True, slots=True)
class ItemRef:
    kind: str
    entry_id: str
    version: int


@dataclass(frozen=True, slots=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    items: tuple[ItemRef, ...]  # every draft written


@dataclass
class _Candidate:
    """A body to validate: where it would be written and which row of an import it is."""

    kind: str
    entry_id: str
    body: dict[str, Any]
    file: str
    row: int | None = None
    problems: list[Problem] = field(default_factory=list)


# -- YAML ---------------------------------------------------------------------------------


def dump_yaml(data: Any) -> str:
    """The export format: block style, keys in the entry's own order, Chinese as is."""
    return yaml.dump(
        data, Dumper=_SafeDumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1_000_000
    )


# libyaml's emitter when PyYAML has it: the same bytes as the pure-Python one, five times faster.
_SafeDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def parse_yaml(text: str) -> Any:
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        raise ContentInvalidError([Problem("-", f"cannot parse YAML: {exc}".replace("\n", " "))]) from exc


def plain(data: Any) -> Any:
    """The body as JSON data (what the database keeps): YAML dates and the like as text."""
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def title_of(kind: str, body: dict[str, Any]) -> str:
    if kind == "products":
        return f"{body.get('id', '')} {body.get('name', '')}".strip()[:200]
    for key in ("question", "title", "name", "customer"):
        if body.get(key):
            return str(body[key])[:200]
    return str(body.get("id", ""))[:200]


def _model(kind: str) -> type[BaseModel]:
    try:
        return KIND_DIRS[kind]
    except KeyError:
        raise UnknownKindError(f"unknown content kind {kind!r}; one of {', '.join(KINDS)}") from None


def schema_problems(kind: str, body: Any, *, entry_id: str = "", row: int | None = None) -> list[Problem]:
    """The entry's problems by the corpus schema, ``field: problem`` each (none: valid)."""
    if not isinstance(body, dict):
        return [Problem("-", f"expected a mapping of fields, got {type(body).__name__}", entry_id, row)]
    try:
        _model(kind).model_validate(body)
    except ValidationError as exc:
        return [
            Problem(".".join(str(p) for p in err["loc"]) or "-", err["msg"], entry_id or str(body.get("id", "")), row)
            for err in exc.errors()
        ]
    return []


# -- the store ----------------------------------------------------------------------------


class ContentStore:
    def __init__(self, db: Database, *, base_dir: Path) -> None:
        """``base_dir``: the seed corpus, whose non-content files (vocabulary, product
        lines, attribute and cue lists) every materialized corpus copies.  The store is
        seeded from it on first use (:meth:`seed`)."""
        self.db = db
        self.base_dir = base_dir
        self._seeded = False
        self._seed_lock = threading.Lock()

    def ensure_seeded(self) -> None:
        """Seed once per process, before the first operation that reads or writes content
        (a service that never opens the editor never pays for it)."""
        if self._seeded:
            return
        with self._seed_lock:
            if not self._seeded:
                try:
                    self.seed()
                except IntegrityError:  # another instance seeded the same entries first
                    log.info("content already seeded by another instance")
                self._seeded = True

    # -- seeding ----------------------------------------------------------------------

    def seed(self, corpus_dir: Path | None = None) -> int:
        """Load the seed corpus into an empty store (version 1 of every entry, published
        by "seed"); in a store with entries, bring the ones no person has edited up to
        date with the seed while nothing was ever released.  Returns the entries written."""
        root = corpus_dir or self.base_dir
        load_corpus(root)  # a broken seed raises CorpusError before anything is written
        entries = list(_seed_entries(root))
        written = 0
        with self.db.write() as s:
            if s.scalar(select(func.count()).select_from(ContentRelease)):
                return 0  # released content is the truth now; corpus/ changes go through import
            items = {(i.kind, i.entry_id): i for i in s.scalars(select(ContentItem))}
            latest_of = {
                v.item_id: v
                for v in s.scalars(
                    select(ContentVersion).join(
                        ContentItem,
                        (ContentVersion.item_id == ContentItem.id)
                        & (ContentVersion.version == ContentItem.latest_version),
                    )
                )
            }
            for kind, rel, position, body in entries:
                item = items.get((kind, str(body["id"])))
                if item is None:
                    item = ContentItem(
                        kind=kind,
                        entry_id=str(body["id"]),
                        title=title_of(kind, body),
                        file=rel,
                        position=position,
                        updated_by=SEED_AUTHOR,
                    )
                    s.add(item)
                    s.flush()
                else:
                    latest = latest_of[item.id]
                    if latest.author != SEED_AUTHOR or latest.body == body:
                        continue
                    latest.status = SUPERSEDED
                    item.title, item.file, item.position = title_of(kind, body), rel, position
                item.latest_version += 1
                item.published_version = item.latest_version
                item.updated_at = utcnow()
                s.add(
                    ContentVersion(
                        item_id=item.id,
                        version=item.latest_version,
                        status=PUBLISHED,
                        body=body,
                        author=SEED_AUTHOR,
                        note="corpus/",
                        published_at=utcnow(),
                        published_by=SEED_AUTHOR,
                    )
                )
                written += 1
        return written

    # -- reading ----------------------------------------------------------------------

    def search(
        self, *, kind: str | None = None, query: str = "", status: str | None = None, limit: int = 50, offset: int = 0
    ) -> ItemPage:
        self.ensure_seeded()
        stmt = select(ContentItem, ContentVersion.status).join(
            ContentVersion,
            (ContentVersion.item_id == ContentItem.id) & (ContentVersion.version == ContentItem.latest_version),
        )
        if kind:
            _model(kind)
            stmt = stmt.where(ContentItem.kind == kind)
        if query:
            like = f"%{query}%"
            stmt = stmt.where(or_(ContentItem.entry_id.ilike(like), ContentItem.title.ilike(like)))
        if status:
            stmt = stmt.where(ContentVersion.status == status)
        with self.db.read() as s:
            total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = s.execute(
                stmt.order_by(ContentItem.updated_at.desc(), ContentItem.id).limit(limit).offset(offset)
            ).all()
            return ItemPage(items=tuple(_item_view(item, st) for item, st in rows), total=int(total))

    def get(self, kind: str, entry_id: str) -> ItemDetail:
        self.ensure_seeded()
        with self.db.read() as s:
            return self._detail(s, _item(s, kind, entry_id))

    def version_body(self, kind: str, entry_id: str, version: int) -> dict[str, Any]:
        self.ensure_seeded()
        with self.db.read() as s:
            return dict(_version(s, _item(s, kind, entry_id), version).body)

    def diff(self, kind: str, entry_id: str, old: int, new: int) -> str:
        """A unified diff of two versions' YAML (``old`` 0: from nothing)."""
        self.ensure_seeded()
        with self.db.read() as s:
            item = _item(s, kind, entry_id)
            before = dump_yaml(_version(s, item, old).body).splitlines(keepends=True) if old else []
            after = dump_yaml(_version(s, item, new).body).splitlines(keepends=True)
        return "".join(difflib.unified_diff(before, after, f"v{old}", f"v{new}"))

    # -- editing ----------------------------------------------------------------------

    def save(
        self, kind: str, entry_id: str, body: Any, *, base_version: int, author: str, note: str = ""
    ) -> ItemDetail:
        """A new draft of the item (a new item when ``base_version`` is 0)."""
        self.ensure_seeded()
        body = plain(body)
        if isinstance(body, dict):
            body.setdefault("id", entry_id)
        problems = schema_problems(kind, body, entry_id=entry_id)
        if isinstance(body, dict) and str(body.get("id")) != entry_id:
            problems.append(Problem("id", f"must be {entry_id!r}, the item being edited", entry_id))
        if problems:
            raise ContentInvalidError(problems)
        with self.db.read() as s:
            found = _find(s, kind, entry_id)
            if found is None and base_version != 0:
                raise ContentNotFoundError(f"no {kind} entry {entry_id!r}")
            rel = found.file if found is not None else self._new_file(s, kind, body)[0]
        self._check_references([_Candidate(kind, entry_id, body, rel)])
        try:
            with self.db.write() as s:
                item = _find(s, kind, entry_id)
                if item is None:
                    if base_version != 0:
                        raise ContentNotFoundError(f"no {kind} entry {entry_id!r}")
                    item = self._new_item(s, kind, body)
                self._add_version(s, item, body, base_version=base_version, author=author, note=note, status=DRAFT)
                return self._detail(s, item)
        except IntegrityError:  # another admin created the same new entry first
            raise ContentConflictError(f"{kind}/{entry_id} was created by someone else", current_version=1) from None

    def submit(self, kind: str, entry_id: str, version: int, *, by: str) -> ItemDetail:
        """Ask for review of a draft."""
        self.ensure_seeded()
        with self.db.write() as s:
            item = _item(s, kind, entry_id)
            row = _version(s, item, version)
            if row.status != DRAFT:
                raise ContentStateError(f"version {version} is {row.status}, not a draft")
            row.status = REVIEW
            item.updated_at, item.updated_by = utcnow(), by
            return self._detail(s, item)

    def publish(self, refs: Sequence[ItemRef], *, by: str, note: str = "") -> ReleaseView:
        """Publish these versions (each the latest of its item, a draft or in review) as
        one release; the whole corpus they make must be valid."""
        self.ensure_seeded()
        if not refs:
            raise ContentInvalidError([Problem("items", "nothing to publish")])
        with self.db.read() as s:
            bodies = [
                _Candidate(ref.kind, ref.entry_id, dict(_version(s, item, ref.version).body), item.file)
                for ref in refs
                for item in [_item(s, ref.kind, ref.entry_id)]
            ]
        self._check_references(bodies)
        with self.db.write() as s:
            chosen: list[tuple[ContentItem, ContentVersion]] = []
            for ref in refs:
                item = _item(s, ref.kind, ref.entry_id)
                row = _version(s, item, ref.version)
                if ref.version != item.latest_version:
                    raise ContentConflictError(
                        f"{ref.kind}/{ref.entry_id}: version {ref.version} is not the latest",
                        current_version=item.latest_version,
                    )
                if row.status not in (DRAFT, REVIEW):
                    raise ContentStateError(f"{ref.kind}/{ref.entry_id}: version {ref.version} is {row.status}")
                chosen.append((item, row))
            for item, row in chosen:
                self._mark_published(s, item, row, by=by)
            return self._release(s, [f"{i.kind}/{i.entry_id}@{v.version}" for i, v in chosen], by=by)

    def rollback(self, kind: str, entry_id: str, version: int, *, by: str) -> tuple[ItemDetail, ReleaseView]:
        """Publish the body of an earlier version again, as a new version."""
        self.ensure_seeded()
        with self.db.read() as s:
            item = _item(s, kind, entry_id)
            body = dict(_version(s, item, version).body)
            rel = item.file
        self._check_references([_Candidate(kind, entry_id, body, rel)])
        with self.db.write() as s:
            item = _item(s, kind, entry_id)
            row = self._add_version(
                s, item, body, base_version=item.latest_version, author=by, note=f"回滚到 v{version}", status=DRAFT
            )
            self._mark_published(s, item, row, by=by)
            release = self._release(s, [f"{kind}/{entry_id}@{row.version}"], by=by)
            return self._detail(s, item), release

    def import_entries(self, kind: str, entries: Sequence[Any], *, by: str, note: str = "") -> ImportReport:
        """Bulk import as drafts: every row valid (schema and references), or nothing is
        written and :class:`ImportRefusedError` lists every refused row."""
        self.ensure_seeded()
        _model(kind)
        if not entries:
            raise ImportRefusedError([Problem("-", "the file holds no entries")])
        if len(entries) > MAX_IMPORT_ENTRIES:
            raise ImportRefusedError([Problem("-", f"more than {MAX_IMPORT_ENTRIES} entries in one import")])
        problems: list[Problem] = []
        candidates: list[_Candidate] = []
        seen: dict[str, int] = {}
        for row, raw in enumerate(entries):
            body = plain(raw)
            entry_id = str(body.get("id", "")) if isinstance(body, dict) else ""
            found = schema_problems(kind, body, entry_id=entry_id, row=row)
            if entry_id and entry_id in seen:
                found.append(Problem("id", f"duplicate id (first in row {seen[entry_id]})", entry_id, row))
            problems.extend(found)
            if not found:
                seen[entry_id] = row
                candidates.append(_Candidate(kind, entry_id, body, "", row))
        with self.db.read() as s:
            for c in candidates:
                item = _find(s, kind, c.entry_id)
                c.file = item.file if item is not None else self._new_file(s, kind, c.body)[0]
        if candidates:  # the rows the schema accepts may still name what does not exist
            try:
                self._check_references(candidates)
            except ContentInvalidError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ImportRefusedError(sorted(problems, key=lambda p: (-1 if p.row is None else p.row, p.field)))
        created = updated = unchanged = 0
        written: list[ItemRef] = []
        with self.db.write() as s:
            for c in candidates:
                item = _find(s, kind, c.entry_id)
                if item is not None and _version(s, item, item.latest_version).body == c.body:
                    unchanged += 1
                    continue
                if item is None:
                    item = self._new_item(s, kind, c.body)
                    created += 1
                else:
                    updated += 1
                version = self._add_version(
                    s, item, c.body, base_version=item.latest_version, author=by, note=note or "导入", status=DRAFT
                )
                written.append(ItemRef(kind, c.entry_id, version.version))
        return ImportReport(created=created, updated=updated, unchanged=unchanged, items=tuple(written))

    # -- releases ---------------------------------------------------------------------

    def releases(self, limit: int = 20) -> list[ReleaseView]:
        with self.db.read() as s:
            rows = s.scalars(select(ContentRelease).order_by(ContentRelease.id.desc()).limit(limit))
            return [_release_view(r) for r in rows]

    def release(self, release_id: int) -> ReleaseView:
        with self.db.read() as s:
            row = s.get(ContentRelease, release_id)
            if row is None:
                raise ContentNotFoundError(f"no release {release_id}")
            return _release_view(row)

    def latest_release_id(self) -> int:
        """The newest release's id (0: nothing was ever published here)."""
        with self.db.read() as s:
            return int(s.scalar(select(func.max(ContentRelease.id))) or 0)

    def mark_release(
        self,
        release_ids: Iterable[int],
        *,
        status: str,
        stage: str = "",
        progress: float | None = None,
        error: str = "",
        build_id: str = "",
    ) -> None:
        """Record how a build goes, on every release it serves (a build folds in all
        releases published while the previous one ran)."""
        values: dict[str, Any] = {"status": status, "stage": stage, "error": error[:2000]}
        if progress is not None:
            values["progress"] = progress
        if build_id:
            values["build_id"] = build_id
        if status in (LIVE, FAILED):
            values["finished_at"] = utcnow()
        ids = list(release_ids)
        if not ids:
            return
        stmt = update(ContentRelease).where(ContentRelease.id.in_(ids))
        if status != LIVE:  # live on one instance is live: another's later failure does not undo it
            stmt = stmt.where(ContentRelease.status != LIVE)
        with self.db.write() as s:
            s.execute(stmt.values(**values))

    def unfinished_releases(self, up_to: int) -> list[int]:
        with self.db.read() as s:
            return list(
                s.scalars(
                    select(ContentRelease.id).where(
                        ContentRelease.id <= up_to, ContentRelease.status.in_((PENDING, BUILDING))
                    )
                )
            )

    # -- corpus files -----------------------------------------------------------------

    def materialize(self, target: Path) -> int:
        """Write the published content as a corpus directory at ``target`` (replaced),
        with the seed's other top-level files; returns the latest release id it holds."""
        with self.db.read() as s:
            release_id = int(s.scalar(select(func.max(ContentRelease.id))) or 0)
            files = _published_files(s)
        _write_corpus(target, files, base_dir=self.base_dir)
        return release_id

    def export(self, target: Path) -> int:
        """The published entries as YAML files in the ``corpus/`` layout (content kinds
        only); returns how many entries were written."""
        self.ensure_seeded()
        with self.db.read() as s:
            files = _published_files(s)
        for rel, entries in files.items():
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump_yaml(entries), encoding="utf-8")
        return sum(len(e) for e in files.values())

    def export_kind(self, kind: str) -> str:
        """The published entries of one kind as one YAML list (the bulk-import format)."""
        self.ensure_seeded()
        _model(kind)
        with self.db.read() as s:
            files = _published_files(s, kind=kind)
        return dump_yaml([e for rel in sorted(files) for e in files[rel]])

    # -- internals --------------------------------------------------------------------

    def _detail(self, s: Session, item: ContentItem) -> ItemDetail:
        versions = s.scalars(
            select(ContentVersion).where(ContentVersion.item_id == item.id).order_by(ContentVersion.version.desc())
        ).all()
        latest = next(v for v in versions if v.version == item.latest_version)
        published = next((v for v in versions if v.version == item.published_version), None)
        return ItemDetail(
            item=_item_view(item, latest.status),
            body=dict(latest.body),
            yaml=dump_yaml(latest.body),
            published_yaml=dump_yaml(published.body) if published is not None else "",
            versions=tuple(
                VersionView(
                    version=v.version,
                    status=v.status,
                    author=v.author,
                    note=v.note,
                    created_at=v.created_at,
                    published_at=v.published_at,
                    published_by=v.published_by,
                )
                for v in versions
            ),
        )

    def _new_file(self, s: Session, kind: str, body: dict[str, Any]) -> tuple[str, int]:
        rel = f"faq/{body.get('category')}.yaml" if kind == "faq" and body.get("category") else f"{kind}/added.yaml"
        last = s.scalar(select(func.max(ContentItem.position)).where(ContentItem.file == rel))
        return rel, int(last if last is not None else -1) + 1

    def _new_item(self, s: Session, kind: str, body: dict[str, Any]) -> ContentItem:
        rel, position = self._new_file(s, kind, body)
        item = ContentItem(kind=kind, entry_id=str(body["id"]), title=title_of(kind, body), file=rel, position=position)
        s.add(item)
        s.flush()
        return item

    def _add_version(
        self,
        s: Session,
        item: ContentItem,
        body: dict[str, Any],
        *,
        base_version: int,
        author: str,
        note: str,
        status: str,
    ) -> ContentVersion:
        # The optimistic check and the claim of the next number in one statement: of two
        # saves from the same version, exactly one matches.
        claimed = cast(
            CursorResult[Any],
            s.execute(
                update(ContentItem)
                .where(ContentItem.id == item.id, ContentItem.latest_version == base_version)
                .values(
                    latest_version=base_version + 1,
                    title=title_of(item.kind, body),
                    updated_at=utcnow(),
                    updated_by=author,
                )
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if claimed != 1:
            current = s.scalar(select(ContentItem.latest_version).where(ContentItem.id == item.id)) or 0
            raise ContentConflictError(
                f"{item.kind}/{item.entry_id} was saved as version {current} since version {base_version}",
                current_version=int(current),
            )
        s.refresh(item)
        # An older draft or review nobody published is withdrawn by the newer save.
        s.execute(
            update(ContentVersion)
            .where(ContentVersion.item_id == item.id, ContentVersion.status.in_((DRAFT, REVIEW)))
            .values(status=WITHDRAWN)
        )
        row = ContentVersion(
            item_id=item.id,
            version=item.latest_version,
            status=status,
            body=body,
            author=author,
            note=note[:MAX_NOTE_CHARS],
        )
        s.add(row)
        s.flush()
        return row

    def _mark_published(self, s: Session, item: ContentItem, row: ContentVersion, *, by: str) -> None:
        if item.published_version is not None:
            s.execute(
                update(ContentVersion)
                .where(ContentVersion.item_id == item.id, ContentVersion.version == item.published_version)
                .values(status=SUPERSEDED)
            )
        row.status, row.published_at, row.published_by = PUBLISHED, utcnow(), by
        item.published_version = row.version
        item.updated_at, item.updated_by = utcnow(), by

    def _release(self, s: Session, items: list[str], *, by: str) -> ReleaseView:
        release = ContentRelease(status=PENDING, items=items, created_by=by, stage="queued")
        s.add(release)
        s.flush()
        return _release_view(release)

    def _check_references(self, candidates: Sequence[_Candidate]) -> None:
        """Validate the corpus these bodies would make with the published rest (references
        between entries: product lines, products, industries, units), as the loader does.
        Outside any write transaction: it validates a whole corpus (tens of ms)."""
        with self.db.read() as s:
            files = _published_files(s)
        replaced = {(c.kind, c.entry_id) for c in candidates}
        for rel in files:
            files[rel] = [e for e in files[rel] if (_kind_of(rel), str(e.get("id"))) not in replaced]
        for c in candidates:
            files.setdefault(c.file, []).append(c.body)
        try:
            corpus_from_files(self.base_dir, files)
        except CorpusError as exc:
            raise ContentInvalidError([_problem_of(line, candidates) for line in exc.problems]) from None


def _kind_of(rel: str) -> str:
    return rel.split("/", 1)[0]


def _problem_of(line: str, candidates: Sequence[_Candidate]) -> Problem:
    """``corpus/faq/x.yaml: FAQ-1.products: unknown product 'X'`` as a Problem of its entry."""
    parts = line.split(": ", 2)
    if len(parts) < 3:
        return Problem("-", line)
    where, message = parts[1], parts[2]
    entry_id, _, loc = where.partition(".")
    row = next((c.row for c in candidates if c.entry_id == entry_id), None)
    return Problem(loc or "-", message, entry_id, row)


def _find(s: Session, kind: str, entry_id: str) -> ContentItem | None:
    _model(kind)
    return s.scalars(select(ContentItem).where(ContentItem.kind == kind, ContentItem.entry_id == entry_id)).first()


def _item(s: Session, kind: str, entry_id: str) -> ContentItem:
    item = _find(s, kind, entry_id)
    if item is None:
        raise ContentNotFoundError(f"no {kind} entry {entry_id!r}")
    return item


def _version(s: Session, item: ContentItem, version: int) -> ContentVersion:
    row = s.scalars(
        select(ContentVersion).where(ContentVersion.item_id == item.id, ContentVersion.version == version)
    ).first()
    if row is None:
        raise ContentNotFoundError(f"{item.kind}/{item.entry_id} has no version {version}")
    return row


def _published_files(s: Session, *, kind: str | None = None) -> dict[str, list[dict[str, Any]]]:
    stmt = (
        select(ContentItem.file, ContentVersion.body)
        .join(
            ContentVersion,
            (ContentVersion.item_id == ContentItem.id) & (ContentVersion.version == ContentItem.published_version),
        )
        .order_by(ContentItem.file, ContentItem.position, ContentItem.id)
    )
    if kind is not None:
        stmt = stmt.where(ContentItem.kind == kind)
    files: dict[str, list[dict[str, Any]]] = {}
    for rel, body in s.execute(stmt):
        files.setdefault(rel, []).append(dict(body))
    return files


def _write_corpus(target: Path, files: dict[str, list[dict[str, Any]]], *, base_dir: Path) -> None:
    """A complete corpus directory: written beside ``target`` and renamed into place."""
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for path in sorted(base_dir.glob("*.yaml")):  # vocabulary, product lines, attribute and cue lists
        shutil.copyfile(path, partial / path.name)
    for rel, entries in files.items():
        path = partial / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_yaml(entries), encoding="utf-8")
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    partial.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _seed_entries(root: Path) -> Iterable[tuple[str, str, int, dict[str, Any]]]:
    """(kind, file, position, body) of every content entry under a corpus directory."""
    for kind in KINDS:
        files = sorted((root / kind).glob("*.yaml")) + sorted((root / kind).glob("*.yml"))
        for path in files:
            raw = load_yaml(path.read_text(encoding="utf-8")) or []
            rel = str(path.relative_to(root))
            for position, entry in enumerate(raw):
                yield kind, rel, position, plain(entry)


def _item_view(item: ContentItem, status: str) -> ItemView:
    return ItemView(
        kind=item.kind,
        entry_id=item.entry_id,
        title=item.title,
        file=item.file,
        latest_version=item.latest_version,
        published_version=item.published_version,
        status=status,
        updated_at=item.updated_at,
        updated_by=item.updated_by,
    )


def _release_view(row: ContentRelease) -> ReleaseView:
    return ReleaseView(
        id=row.id,
        status=row.status,
        stage=row.stage,
        progress=float(row.progress),
        error=row.error,
        items=tuple(row.items),
        created_by=row.created_by,
        created_at=row.created_at,
        finished_at=row.finished_at,
        build_id=row.build_id,
    )
