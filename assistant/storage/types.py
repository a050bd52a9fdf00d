"""Column types that differ by database; the tables use these instead of checking the dialect."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer

# A surrogate key counting rows of a table that grows with traffic (events, handoff events,
# feedback, assignments): BIGINT (BIGSERIAL) on PostgreSQL, where INTEGER stops at 2^31 - 1.
# SQLite keeps INTEGER, the only type that makes a primary key the auto-assigned rowid
# (64-bit already); BIGINT there would leave the key without a value on insert.
BigId = BigInteger().with_variant(Integer(), "sqlite")
