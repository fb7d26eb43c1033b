"""The booking conversations (plan_trip, book_quote, cancel_booking) as pure step functions.

A flow never does I/O. Its state is a typed value stored as JSON between rounds (state.py), so the
same flow can be driven by a legacy session (the driver awaits each answer in place) or by a
2026-07-28 request (the state travels in the sealed `requestState` between retries). The driver
(mcp_server/drivers.py) asks `next_action(state)` once, performs the action, and feeds the outcome
back through `apply(state, action, outcome)`.

- actions.py: what a flow asks the driver to do, and what the driver feeds back
- state.py: the typed flow states and their JSON
- validation.py: is a destination, trip type, number of nights or travellers usable, and why not
- decision.py: the Book/Cancel decision and the quote summary it is taken on
- payment.py: the optional payment step before Book
- plan_trip.py: collect the trip, search, recommend, decide, book
- confirm.py: book_quote's and cancel_booking's one question, then one effect
"""
