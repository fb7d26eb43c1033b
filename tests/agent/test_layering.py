"""Imports point one way: agent/ui/ depends on the core, never the reverse; no module imports by string.

Every module of agent/ is parsed with `ast`, so imports inside functions and under TYPE_CHECKING
count as much as those at the top, and so do importlib calls and strings handed to an importer.
The entry point, agent/ui/cli.py, is part of the terminal side: it hands each command to its module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import agent

PACKAGE = Path(agent.__file__).parent
ROOT = PACKAGE.parent
UI = "agent.ui"
_MODULE_NAME = re.compile(r"agent(\.[A-Za-z_]\w*)+")
IMPORTERS = ("import_module", "__import__")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, name: str, *, is_package: bool = False) -> list[tuple[int, str, bool]]:
    """Each import in `source` (the module `name`): its line, the module it names, and whether it is by string.

    `from X import Y` names X and X.Y (Y may be a module); a call to importlib.import_module or
    __import__ names its argument (`?` when computed); so does any other call whose name says it
    imports, for each string argument that names an agent module.
    """
    package = name if is_package else name.rpartition(".")[0]
    found: list[tuple[int, str, bool]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, False) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append((node.lineno, base, False))
            found += [(node.lineno, f"{base}.{alias.name}", False) for alias in node.names]
        elif isinstance(node, ast.Call):
            callee = _name(node.func)
            strings = [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
            if callee in IMPORTERS or any(_name(arg) in IMPORTERS for arg in node.args):  # also to_thread(import_module, …)
                found += [(node.lineno, text, True) for text in strings] or [(node.lineno, "?", True)]
            elif "import" in callee.lower():
                found += [(node.lineno, text, True) for text in strings if _MODULE_NAME.fullmatch(text)]
    return found


def _name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _in_ui(module: str) -> bool:
    return module == UI or module.startswith(UI + ".")


def test_the_parser_sees_every_kind_of_import():
    source = (
        "import agent.ui.forms\n"
        "from .ui import repl\n"
        "def later():\n"
        "    from agent.ui.progress import ProgressView\n"
        "    importlib.import_module('agent.ui.review')\n"
        "    importlib.import_module(NAMES[0])\n"
        "    asyncio.to_thread(importlib.import_module, 'agent.human')\n"
        "    import_beside_server(settings, 'agent.app')\n"
        "    _key('agent.transcript')\n"
    )

    tru = imports(source, "agent.example")

    assert [(line, module) for line, module, by_string in tru if not by_string] == [
        (1, "agent.ui.forms"),
        (2, "agent.ui"),
        (2, "agent.ui.repl"),
        (4, "agent.ui.progress"),
        (4, "agent.ui.progress.ProgressView"),
    ]
    assert [(line, module) for line, module, by_string in tru if by_string] == [
        (5, "agent.ui.review"),
        (6, "?"),
        (7, "agent.human"),
        (8, "agent.app"),
    ]


def test_no_core_module_imports_the_ui():
    first: dict[tuple[str, int], str] = {}  # one per line: `from agent.ui.x import Y` names agent.ui.x and agent.ui.x.Y
    for path in modules():
        if _in_ui(module_name(path)):
            continue
        for line, module, _ in imports(path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"):
            if _in_ui(module):
                first.setdefault((path.relative_to(ROOT).as_posix(), line), module)
    offences = [f"{path}:{line} imports {module}" for (path, line), module in sorted(first.items())]

    assert offences == [], "the core must not depend on agent/ui/ (declare a protocol in the core instead):\n" + "\n".join(offences)


def test_no_module_imports_by_string():
    found = [
        (path.relative_to(ROOT).as_posix(), line, module)
        for path in modules()
        for line, module, by_string in imports(path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py")
        if by_string
    ]
    offences = [f"{path}:{line} imports {module} by string" for path, line, module in sorted(found)]

    assert offences == [], "write the import as a statement (inside a function to defer it):\n" + "\n".join(offences)
