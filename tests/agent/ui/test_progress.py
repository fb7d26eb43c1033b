import io

import pytest

from agent.ui.progress import ProgressView

CLEAR = "\r\x1b[2K"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")


def test_interactive_updates_redraw_one_line_and_done_ends_it():
    output = io.StringIO()
    view = ProgressView(output, interactive=True)

    view.update("plan_trip", 1, 5, "searching hotels")
    view.update("plan_trip", 5, 5, None)
    view.done()

    exp_text = (
        CLEAR + "plan_trip [####----------------]  20% searching hotels"
        + CLEAR + "plan_trip [####################] 100%"
        + "\n"
    )
    assert output.getvalue() == exp_text


def test_interactive_without_total_shows_a_spinner_and_the_count():
    output = io.StringIO()
    view = ProgressView(output, interactive=True)

    view.update("search", 1, None, "page 1")
    view.update("search", 2, None, None)

    assert output.getvalue() == CLEAR + "search / 1 page 1" + CLEAR + "search - 2"


def test_interactive_update_of_another_tool_terminates_the_previous_line():
    output = io.StringIO()
    view = ProgressView(output, interactive=True)

    view.update("search", 1, 2, None)
    view.update("book", 1, 2, None)

    assert output.getvalue() == (
        CLEAR + "search [##########----------]  50%" + "\n" + CLEAR + "book [##########----------]  50%"
    )


def test_done_without_an_open_line_writes_nothing():
    output = io.StringIO()
    view = ProgressView(output, interactive=True)

    view.done()
    view.update("search", 1, 2, None)
    view.done()
    view.done()

    assert output.getvalue().count("\n") == 1


def test_interactive_line_is_cut_to_the_terminal_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    output = io.StringIO()

    ProgressView(output, interactive=True).update("plan_trip", 3, 4, "a message far too long to fit on the line")

    assert output.getvalue() == CLEAR + "plan_trip [###############-----]  75% a"


def test_overshooting_progress_is_shown_as_full():
    output = io.StringIO()

    ProgressView(output, interactive=True).update("search", 7, 5, None)

    assert output.getvalue() == CLEAR + "search [####################] 100%"


def test_non_interactive_writes_one_plain_line_per_update():
    output = io.StringIO()
    view = ProgressView(output, interactive=False)

    view.update("plan_trip", 1, 5, "searching hotels")
    view.update("plan_trip", 2.5, None, None)
    view.done()

    assert output.getvalue() == "plan_trip: 1/5 (20%) searching hotels\nplan_trip: 2.5\n"
