"""tests/ mirrors the packages file for file, so a module's tests are found from its name alone.

`agent/ui/forms.py` is tested in `tests/agent/ui/test_forms.py`; a module with several test files
names the topic after its own name (`tests/mcp_server/test_server_fuzz.py` tests `server.py`), and
`test_init.py` tests a package's `__init__.py`. A module without a test file of its own is listed
below with the reason; the list may only shrink (a listed module that gains its file fails here).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "mcp_server")

WITHOUT_OWN_TEST = {
    "mcp_server/agentcore.py": "a three-line entry point for AgentCore's starter kit: `trip-server --container` (test_cli.py)",
    "mcp_server/errors.py": "exception class declarations; each error is asserted where it is raised",
    "mcp_server/schemas.py": (
        "tool output schemas: the mcp client checks every structured result against its tool's schema, "
        "in every tool call of tests/mcp_server/test_server*.py"
    ),
    "mcp_server/store/migrations.py": "the schema versions, applied and checked by tests/mcp_server/store/test_base.py",
    "agent/file_format.py": "the strict base model of the file formats, tested through each format's tests",
    "mcp_server/flows/actions.py": "the actions and outcomes a flow and its driver exchange: type declarations only",
    "agent/sampling_review.py": "the SamplingReviewer protocol and its decisions; the review is tested in tests/agent/ui/test_review.py",
    "agent/tool_progress.py": "the ToolProgress protocol and the eval's silent one; the view is tested in tests/agent/ui/test_progress.py",
    "agent/ui/checked_prompt.py": "the one-line prompt under the form, the review and the URL prompt, driven at a pipe terminal by their tests",
}

# Test files that test the tests' own helpers or other programs, not a module of the packages.
NOT_MIRRORS = {
    "tests/test_layout.py": "this file",
    "tests/mcp_server/test_stderr_log.py": "tests/mcp_server/stderr_log.py, a helper of the server tests",
    "tests/agent/test_layering.py": "the import direction of the whole agent package",
}
PEERS = "tests/peers/"  # interoperability with other MCP implementations, by peer


def _has_code(path: Path) -> bool:
    """Whether a module holds more than a docstring (an `__init__.py` often holds only that)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return any(not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) for node in body)


def modules() -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if path.name != "__init__.py" or _has_code(path)
    )


def mirrored_module(test_file: Path) -> str | None:
    """The module `test_file` mirrors: the longest `_`-prefix of its name that is a module beside the mirror path."""
    folder = test_file.parent.relative_to(ROOT / "tests")
    name = test_file.stem.removeprefix("test_")
    while name:
        candidate = folder / ("__init__.py" if name == "init" else f"{name}.py")
        if (ROOT / candidate).is_file():
            return str(candidate)
        name = name.rpartition("_")[0]
    return None


def all_test_files() -> list[Path]:
    return sorted(path for path in (ROOT / "tests").rglob("test_*.py") if not str(path.relative_to(ROOT)).startswith(PEERS))


def test_every_module_has_its_test_file_at_the_mirror_path():
    tested = {mirrored_module(path) for path in all_test_files()}

    untested = [module for module in modules() if module not in tested and module not in WITHOUT_OWN_TEST]

    assert untested == [], f"add a test file at the mirror path (tests/<package path>/test_<module>.py) for: {untested}"


def test_every_test_file_is_at_the_mirror_path_of_a_module():
    orphans = [
        str(path.relative_to(ROOT))
        for path in all_test_files()
        if mirrored_module(path) is None and str(path.relative_to(ROOT)) not in NOT_MIRRORS
    ]

    assert orphans == [], f"move each to the mirror path of the module it tests (tests/<package path>/test_<module>[_topic].py): {orphans}"


def test_the_modules_listed_without_tests_exist_and_still_have_no_test_file():
    tested = {mirrored_module(path) for path in all_test_files()}

    stale = [module for module in WITHOUT_OWN_TEST if not (ROOT / module).is_file() or module in tested]

    assert stale == [], f"remove from WITHOUT_OWN_TEST (moved, deleted, or now tested): {stale}"


def test_the_server_never_imports_the_agent():
    """mcp_server/ runs alone (AgentCore, `make server`); the agent may use the server's modules, never the reverse."""
    offences = []
    for path in sorted((ROOT / "mcp_server").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offences += [f"{path.relative_to(ROOT)}:{node.lineno} imports {name}" for name in names if name.split(".")[0] == "agent"]

    assert offences == []
