"""The package's shape: layers that only point down, no import cycle between modules or domain folders (a
function-local import counts like any other), pure modules free of Flask, SQLAlchemy and the models, and no
file too long to read in one sitting. Read from the source with `ast`."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "practice"
# Plain data in, plain data out: fast unit tests, no framework.
PURE = {"practice.sms", "practice.schedule", "practice.availability", "practice.templating", "practice.charts",
        "practice.localtime", "practice.periods", "practice.links", "practice.template_rules", "practice.passwords",
        "practice.search_text", "practice.series", "practice.replies", "practice.sender_rules",
        "practice.data.tabular"}
FRAMEWORKS = ("flask", "flask_babel", "flask_login", "flask_wtf", "flask_sqlalchemy", "flask_migrate",
              "flask_limiter", "sqlalchemy", "wtforms", "werkzeug", "huey")
PACKAGES = {"practice", *(f"practice.{folder.name}" for folder in PACKAGE.iterdir() if (folder / "__init__.py").exists())}
LONGEST_FILE = 400
# Bottom to top; a module may import its own layer or lower ones.
LAYERS = ("pure", "foundation", "domain", "web", "factory", "entry")


def layer(module: str) -> str:
    if module in PURE or module in PACKAGES:  # a package's __init__ holds its docstring only
        return "pure"
    if module == "practice.app":
        return "factory"
    if module == "practice.consumer":  # what huey_consumer runs: the app, made by the factory
        return "entry"
    if module in {"practice.config", "practice.extensions", "practice.enums", "practice.errors", "practice.signals",
                  "practice.models", "practice.columns", "practice.search_index", "practice.i18n"}:
        return "foundation"
    if module.rsplit(".", 1)[-1] in {"views", "forms"} or module in {
            "practice.web", "practice.htmx", "practice.tasks", "practice.cli"}:
        return "web"
    return "domain"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Every practice module this one imports, anywhere in the file; importing a.b.c runs a and a.b too."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name and name.startswith("practice"):
                if name in known:
                    found.add(name)
                name = name.rpartition(".")[0]
    found.discard(module)
    return found


def external(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def graph() -> dict[str, set[str]]:
    found = modules()
    return {module: imports(module, path, set(found)) for module, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan)."""
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def folder(module: str) -> str:
    """The domain folder (practice.agenda...) or, for a module at the top, the module itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_import_cycle_between_modules():
    assert cycles(graph()) == []


def test_no_import_cycle_between_domain_folders():
    folders: dict[str, set[str]] = {}
    for module, targets in graph().items():
        folders.setdefault(folder(module), set()).update(folder(t) for t in targets if folder(t) != folder(module))
    assert cycles(folders) == []


def test_every_import_points_down_the_layers():
    upward = [f"{module} ({layer(module)}) -> {target} ({layer(target)})"
              for module, targets in graph().items() for target in targets
              if LAYERS.index(layer(target)) > LAYERS.index(layer(module))]
    assert upward == []


def test_pure_modules_import_no_framework_and_no_other_layer():
    found = modules()
    for module in (PURE | PACKAGES) & set(found):
        frameworks = sorted(external(found[module]) & set(FRAMEWORKS))
        assert frameworks == [], f"{module} imports {frameworks}"
        assert {target for target in graph()[module] if layer(target) != "pure"} == set(), module


def test_words_are_translated_and_languages_switched_only_through_i18n():
    """practice.i18n remembers the catalogue in force: a module calling Flask-Babel's gettext or force_locale itself
    would translate past it, or switch the language under it (a client's message in the reader's language)."""
    own = {"gettext", "lazy_gettext", "ngettext", "pgettext", "lazy_pgettext", "npgettext", "force_locale", "refresh"}
    found = sorted(f"{module}: {alias.name}" for module, path in modules().items() if module != "practice.i18n"
                   for node in ast.walk(ast.parse(path.read_text()))
                   if isinstance(node, ast.ImportFrom) and node.module == "flask_babel"
                   for alias in node.names if alias.name in own)
    assert found == []


def test_no_file_is_longer_than_can_be_read_in_one_sitting():
    long = {str(path.relative_to(ROOT)): length for path in PACKAGE.rglob("*.py")
            if (length := len(path.read_text().splitlines())) > LONGEST_FILE}
    assert long == {}


def test_the_graph_reader_sees_relative_and_function_local_imports(tmp_path):
    """The walk itself: a cycle hidden in a function body is still a cycle."""
    source = tmp_path / "practice" / "a.py"
    source.parent.mkdir()
    source.write_text("def f():\n    from .b import g\n")
    edges = {"practice.a": imports("practice.a", source, {"practice.a", "practice.b"}),
             "practice.b": {"practice.a"}}
    assert cycles(edges) == [["practice.a", "practice.b"]]
