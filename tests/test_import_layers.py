"""The apps depend one way and the HTTP API sits on top (docs/architecture.md): import-linter's
contracts in `.importlinter`."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--config", str(config), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_apps_depend_one_way():
    result = lint_imports(ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_an_import_against_the_layers_fails(tmp_path):
    """A lower app importing a higher one (shootings reading integrations' models) breaks the layers
    contract, which lists no exemption outside tests, the API and the root URL table (checked on a
    copy of the apps)."""
    config = (ROOT / ".importlinter").read_text()
    layers = config.split("[importlinter:contract:api-on-top]")[0]
    exemptions = [line.strip() for line in layers.splitlines() if "->" in line and not line.lstrip().startswith("#")]
    assert all(".tests." in line or ".api." in line or line == "sartiq.urls -> **" for line in exemptions), exemptions
    result = _lint_with(tmp_path, "shootings/selectors.py", "import integrations.models")
    assert result.returncode != 0, result.stdout
    assert "shootings is not allowed to import integrations" in result.stdout


def _lint_with(tmp_path, module: str, line: str):
    """lint-imports on a copy of the apps with `line` appended to `module`."""
    copy = tmp_path / "project"
    for name in ("sartiq", "shootings", "shots", "outfits", "integrations"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    with open(copy / module, "a") as source:
        source.write(f"\n{line}  # noqa\n")
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy)})


def test_domain_code_importing_the_api_fails(tmp_path):
    """The API modules may import any app only because nothing below imports them: a selector
    importing a serializer breaks the second contract (checked on a copy of the apps)."""
    result = _lint_with(tmp_path, "shots/selectors.py", "import shots.api.serializers")
    assert result.returncode != 0, result.stdout
    assert "is not allowed to import shots.api" in result.stdout


# Where a project import inside a function is the design, not a hidden cycle: a task imports its
# service when it runs (the services import the tasks they enqueue); an AppConfig's ready() runs
# once the models exist; settings start the embedded servers only when no DATABASE_URL is given.
LOCAL_IMPORTS_BY_DESIGN = {"tasks.py", "apps.py", "settings.py"}
PROJECT = ("sartiq", "shootings", "shots", "outfits", "integrations")


def _local_project_imports(path: Path) -> list[str]:
    found = []
    for function in ast.walk(ast.parse(path.read_text())):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in names
                      if name.split(".")[0] in PROJECT]
    return found


def test_no_function_local_import_hides_a_cycle():
    """Every import of project code is at module level (where lint-imports and a reader see it),
    except where LOCAL_IMPORTS_BY_DESIGN says why."""
    found = []
    for package in PROJECT:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts or path.name in LOCAL_IMPORTS_BY_DESIGN:
                continue
            found += _local_project_imports(path)
    assert found == []
