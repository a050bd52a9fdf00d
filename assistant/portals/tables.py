"""Tables of the portal / widget feature (migration ``0004_portals``; ``0005`` dropped
``widget_sessions``: a widget token now names its portal in a signed claim)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from assistant.storage.models import Base, utcnow


class PortalNonce(Base):
    """A used identity-token nonce.  Kept until the token could no longer be accepted
    anyway (its expiry plus the clock skew), then pruned."""

    __tablename__ = "portal_nonces"

    portal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
