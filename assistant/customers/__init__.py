"""Customer records: a salesperson's customers and their profiles (:mod:`.records`)."""

from assistant.customers.records import (
    BindResult,
    CustomerError,
    CustomerForbiddenError,
    CustomerInvalidError,
    CustomerNameTakenError,
    CustomerNotFoundError,
    CustomerRecord,
    CustomerService,
    load_industries,
)

__all__ = [
    "BindResult",
    "CustomerError",
    "CustomerForbiddenError",
    "CustomerInvalidError",
    "CustomerNameTakenError",
    "CustomerNotFoundError",
    "CustomerRecord",
    "CustomerService",
    "load_industries",
]
