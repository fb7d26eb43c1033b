"""Errors of the travel-planner server, under one base class."""


class TripServerError(Exception):
    """Base class: the message is written for the person or agent that called the tool."""


class CatalogError(TripServerError):
    """The catalogue file cannot be used."""


class ConfigError(TripServerError):
    """The server configuration is invalid."""


class QuoteNotFound(TripServerError):
    """No quote with that id (or it belongs to another user)."""


class QuoteExpired(TripServerError):
    """The quote is older than its time to live."""


class BookingNotFound(TripServerError):
    """No booking with that reservation id (or it belongs to another user)."""


class PaymentNotConfirmed(TripServerError):
    """A booking that needs a payment whose payment is not confirmed (or not this flow's)."""


class FlowStateError(TripServerError):
    """A multi round-trip request carried state that does not belong to this call."""


class StoreBusy(TripServerError):
    """Another process holds the database's write lock for longer than the busy timeout."""


class StoreUnavailable(TripServerError):
    """The database cannot be reached, read or written; the message says what the operator should do."""
