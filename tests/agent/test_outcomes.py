"""agent/outcomes.py: what a tool call's outcome says, and when it counts as not completed."""

import mcp_types
import pytest

from agent.outcomes import outcome_of

pytestmark = pytest.mark.usefixtures("isolated_aws")  # no AWS credentials or settings from this machine


def result(structured=None, text="", is_error=False):
    content = [mcp_types.TextContent(type="text", text=text)] if text else []
    return mcp_types.CallToolResult(content=content, structured_content=structured, is_error=is_error)


@pytest.mark.parametrize(
    ("tool_result", "answers", "exp_summary", "exp_completed"),
    [
        (result({"status": "booked", "message": "Booked: reservation TRV-1. Kyoto = ¥38,000."}), ["accept"],
         "plan_trip (booked) Booked: reservation TRV-1. Kyoto = ¥38,000.", True),
        (result({"status": "cancelled", "message": "You cancelled when asked for the trip type."}), ["cancel"],
         "plan_trip (cancelled) You cancelled when asked for the trip type.", False),
        # cancel_booking's "cancelled" is its success; only the user's answers make it a stop
        (result({"status": "cancelled", "message": "Reservation TRV-1 is cancelled.", "reservation_id": "TRV-1"}), ["accept"],
         "plan_trip (cancelled) Reservation TRV-1 is cancelled.", True),
        (result({"status": "kept", "message": "You declined the confirmation; nothing was changed."}), ["decline"],
         "plan_trip (kept) You declined the confirmation; nothing was changed.", False),
        (result({"status": "failed", "message": "Stopped after 3 invalid answers."}), [], "plan_trip (failed) Stopped after 3 invalid answers.", False),
        (result({"status": "booked", "message": "Done.", "reservation_id": "TRV-9"}), [], "plan_trip (booked) Done. (reservation TRV-9)", True),
        (result(text="first line\nsecond line"), [], "plan_trip (success) first line", True),
        (result(text="Unknown tool", is_error=True), [], "plan_trip (error) Unknown tool", False),
    ],
)
def test_outcome_of(tool_result, answers, exp_summary, exp_completed):
    tru = outcome_of("plan_trip", tool_result, answers)
    assert (tru.summary(), tru.completed) == (exp_summary, exp_completed)
