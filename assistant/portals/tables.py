"""Tables of the portal / widget feature (migration ``0004_portals``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
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


class WidgetSession(Base):
    """An access token issued to a widget (by its SHA-256): which portal it came from,
    so the WebSocket handshake can check the page's Origin."""

    __tablename__ = "widget_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    portal_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
