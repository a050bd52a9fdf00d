"""Remote-assist handoff: from the bot to a human expert and back.

Transport-free domain code (no FastAPI): slot collection, the context packet,
the queue with routing by skill then waiting time, capacity, timeouts to tickets,
single-use AR join codes, notes, transfer, resolve, metrics.  The API layer
(``assistant.api.routes_handoff``) translates HTTP/WebSocket to these calls and
delivers what :class:`assistant.handoff.outbox.Outbox` collects.
"""
