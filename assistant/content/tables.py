"""Knowledge content tables (Alembic revision ``0010_content``).

``content_items`` is one entry of the corpus (a product, script, case, FAQ or lesson),
``content_versions`` every saved body of it (who, when, why), ``content_releases`` each
publication and how its index build went, ``content_reviews`` what an editor did with a
review-queue item (the queue itself is read from handoffs, feedback and replies).

A version's ``status``::

    draft -> review -> published -> superseded (a later version was published)
      \\________\\____> withdrawn (a later version was saved before this one was published)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.storage.models import Base, utcnow


class ContentItem(Base):
    __tablename__ = "content_items"
    __table_args__ = (UniqueConstraint("kind", "entry_id", name="uq_content_items_kind_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # products | scripts | cases | faq | lessons
    entry_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), default="")  # for lists and search
    file: Mapped[str] = mapped_column(String(128))  # the export file, e.g. "faq/warranty.yaml"
    position: Mapped[int] = mapped_column(default=0)  # order within the file
    latest_version: Mapped[int] = mapped_column(default=0)
    published_version: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class ContentVersion(Base):
    __tablename__ = "content_versions"
    __table_args__ = (UniqueConstraint("item_id", "version", name="uq_content_versions_item_version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[dict[str, object]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(64))  # user id, or "seed"
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_by: Mapped[str | None] = mapped_column(String(64), default=None)


class ContentRelease(Base):
    """One publication: the items it changed, and the build that brings them to answers."""

    __tablename__ = "content_releases"
    __table_args__ = (Index("ix_content_releases_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | building | live | failed
    stage: Mapped[str] = mapped_column(String(32), default="")  # what the build is doing now
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    error: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[str]] = mapped_column(JSON, default=list)  # "faq/FAQ-WAR-001@3"
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    build_id: Mapped[str] = mapped_column(String(64), default="")


class ContentReview(Base):
    """What an editor did with one review-queue item (``drafted`` into a content item, or
    ``dismissed``); a queue item without a row here is open."""

    __tablename__ = "content_reviews"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # "handoff:<session>", "down:<conv>:<seq>" ...
    status: Mapped[str] = mapped_column(String(16))
    item: Mapped[str] = mapped_column(String(96), default="")  # "faq/FAQ-HO-1A2B3C4D" when drafted
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
