"""Helpers for the pure flows' tests."""


def apply_pending(flow, state, outcome):
    """The state after `outcome` answered the action `state` is waiting on (as the driver does)."""
    return flow.apply(state, flow.next_action(state), outcome)
