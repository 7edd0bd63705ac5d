"""The apps depend one way and the HTTP API sits on top (docs/architecture.md): import-linter's
contracts in `.importlinter`."""
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
    """Without its exemption, the one known upward import of domain code (a transfer reading pushes)
    breaks the layers."""
    config = (ROOT / ".importlinter").read_text()
    exemption = "    shootings.transfer -> integrations.models\n"
    assert exemption in config
    changed = tmp_path / "importlinter.ini"
    changed.write_text(config.replace(exemption, ""))
    result = lint_imports(changed)
    assert result.returncode != 0
    assert "shootings is not allowed to import integrations" in result.stdout


def test_domain_code_importing_the_api_fails(tmp_path):
    """The API modules may import any app only because nothing below imports them: a selector
    importing a serializer breaks the second contract (checked on a copy of the apps)."""

    copy = tmp_path / "project"
    for name in ("sartiq", "shootings", "shots", "outfits", "integrations"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    with open(copy / "shots" / "selectors.py", "a") as selectors:
        selectors.write("\nimport shots.api.serializers  # noqa\n")
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=300,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy)})
    assert result.returncode != 0, result.stdout
    assert "is not allowed to import shots.api" in result.stdout
