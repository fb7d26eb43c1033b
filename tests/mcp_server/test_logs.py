"""Log redaction of session ids, and the flow position logged when a call is abandoned (pure)."""

import logging
import sys
import uuid

import pytest

from mcp_server.logs import (
    MAX_LOG_CHARS,
    FlowPosition,
    RedactSessionIds,
    current_flow,
    install_redaction,
    note_phase,
    redact,
    session_tag,
)


@pytest.mark.parametrize("form", [lambda u: u.hex, lambda u: str(u), lambda u: str(u).upper()])
def test_a_session_id_in_any_of_its_forms_becomes_the_same_tag(form):
    session = uuid.uuid4()

    tru = redact(f"Created new transport with session ID: {form(session)}")

    assert tru == f"Created new transport with session ID: {session_tag(session.hex)}"
    assert session.hex not in tru.lower().replace("-", "")


def test_the_tag_is_stable_short_and_not_the_id():
    session = uuid.uuid4().hex

    assert session_tag(session) == session_tag(session) != session_tag(uuid.uuid4().hex)
    assert session_tag(session).startswith("s-") and len(session_tag(session)) == 12


def test_a_line_never_grows_with_a_clients_input():
    tru = redact("tool " + "x" * 1_000_000)

    assert len(tru) < MAX_LOG_CHARS + 40 and tru.endswith("(1000005 chars)")


def test_the_filter_rewrites_messages_with_arguments_and_tracebacks():
    session = uuid.uuid4().hex
    try:
        raise RuntimeError(f"no session {session}")
    except RuntimeError:
        record = logging.LogRecord("mcp", logging.ERROR, __file__, 1, "session %s failed", (session,), sys.exc_info())

    assert RedactSessionIds().filter(record) is True

    assert record.getMessage() == f"session {session_tag(session)} failed"
    assert session not in record.exc_text and session_tag(session) in record.exc_text


def test_install_redaction_adds_one_filter_per_root_handler_however_often_it_is_called():
    handler = logging.StreamHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_redaction()
        install_redaction()
        assert sum(isinstance(f, RedactSessionIds) for f in handler.filters) == 1
    finally:
        root.removeHandler(handler)


def test_note_phase_moves_the_current_calls_position_and_is_a_no_op_outside_a_call():
    note_phase("f-1", "ask:confirm")  # no call: nothing to record, no error
    position = FlowPosition()
    token = current_flow.set(position)
    try:
        note_phase("f-1", "ask:confirm")
    finally:
        current_flow.reset(token)

    assert (position.flow_id, position.phase) == ("f-1", "ask:confirm")
