"""The order domain's errors, each with a stable ``code``.

They subclass the project tree (``InvalidInput``, ``NotFound``, ``Conflict``,
``DomainError``) so the edge translates them to HTTP statuses and exit codes
without knowing them one by one. Validation errors carry every field problem
in ``errors`` (see ``conveyor.domain.problems``).
"""

from __future__ import annotations

from conveyor.errors import Conflict, DomainError, InvalidInput, NotFound

# --- invalid input: the caller sent something malformed -------------------


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"
    title = "Unknown currency"


class InvalidMoney(InvalidInput):
    """An amount that is not a number, or has more decimals than its currency allows."""

    code = "invalid_money"
    title = "Invalid amount of money"


class InvalidCoordinates(InvalidInput):
    code = "invalid_coordinates"
    title = "Invalid coordinates"


class InvalidAddress(InvalidInput):
    code = "invalid_address"
    title = "Invalid address"


class InvalidCatalogEntry(InvalidInput):
    code = "invalid_catalog_entry"
    title = "Invalid category or product"


class InvalidWarehouse(InvalidInput):
    code = "invalid_warehouse"
    title = "Invalid warehouse"


class InvalidChannel(InvalidInput):
    code = "invalid_channel"
    title = "Invalid sales channel"


class InvalidCarrier(InvalidInput):
    code = "invalid_carrier"
    title = "Invalid carrier"


class InvalidOrder(InvalidInput):
    code = "invalid_order"
    title = "Invalid order"


class InvalidStockMovement(InvalidInput):
    code = "invalid_stock_movement"
    title = "Invalid stock movement"


class InvalidAllocationRequest(InvalidInput):
    code = "invalid_allocation_request"
    title = "Invalid allocation request"


class InvalidPickConfirmation(InvalidInput):
    code = "invalid_pick_confirmation"
    title = "Invalid pick confirmation"


class InvalidQualityCheckDecision(InvalidInput):
    code = "invalid_quality_check_decision"
    title = "Invalid quality-check decision"


class InvalidConfigDocument(InvalidInput):
    code = "invalid_config"
    title = "Invalid configuration document"


# --- not found --------------------------------------------------------------


class UnknownSku(NotFound):
    code = "unknown_sku"
    title = "Unknown SKU"


# --- conflicts with the current state ----------------------------------------


class CurrencyMismatch(Conflict):
    """Two amounts in different currencies were combined."""

    code = "currency_mismatch"
    title = "Currency mismatch"


class TrackingTransitionNotAllowed(Conflict):
    code = "tracking_transition_not_allowed"
    title = "Tracking event not allowed in the shipment's state"


class PickListNotOpen(Conflict):
    code = "pick_list_not_open"
    title = "Pick list is not open"


class PaymentStateConflict(Conflict):
    """A capture, void or refund that the payment's state does not allow."""

    code = "payment_state_conflict"
    title = "Not possible in the payment's state"


# --- business rules ----------------------------------------------------------


class InsufficientStock(DomainError):
    """Not enough stock; ``extra['shortfalls']`` lists every short SKU at once."""

    code = "insufficient_stock"
    title = "Insufficient stock"


class NoCarrierServiceFits(DomainError):
    code = "no_carrier_service"
    title = "No carrier service fits"


class PaymentDeclined(DomainError):
    code = "payment_declined"
    title = "Payment declined"


class PaymentProviderError(DomainError):
    """The provider failed (not a decline): worth retrying later."""

    code = "payment_provider_error"
    title = "Payment provider error"


class RefundExceedsCaptured(DomainError):
    code = "refund_exceeds_captured"
    title = "Refund exceeds the captured amount"
