"""How the tools of several servers are named for the model."""

from agent.toolset import exposed_names


def test_names_stay_as_listed_unless_two_servers_list_the_same_one():
    names = exposed_names([("trip-server", ["plan_trip", "echo"]), ("everything", ["echo", "get-sum"])])

    assert names == {
        ("trip-server", "plan_trip"): "plan_trip",
        ("trip-server", "echo"): "trip-server_echo",
        ("everything", "echo"): "everything_echo",
        ("everything", "get-sum"): "get-sum",
    }


def test_a_prefix_keeps_only_characters_model_apis_allow_in_tool_names():
    names = exposed_names([("127.0.0.1:8000", ["echo"]), ("my.server", ["echo"])])

    assert set(names.values()) == {"127_0_0_1_8000_echo", "my_server_echo"}


def test_one_server_listing_a_name_once_is_no_clash():
    assert exposed_names([("a", ["x", "y"])]) == {("a", "x"): "x", ("a", "y"): "y"}
