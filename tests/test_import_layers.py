"""The apps depend one way (docs/architecture.md): import-linter's layers contract in `.importlinter`."""
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
    assert "1 kept, 0 broken" in result.stdout


def test_an_import_against_the_layers_fails(tmp_path):
    """Without its exemption, a known upward import (the catalog reading integrations) breaks the contract."""
    config = (ROOT / ".importlinter").read_text()
    exemption = "    sartiq.catalog.api.views -> integrations.selectors\n"
    assert exemption in config
    changed = tmp_path / "importlinter.ini"
    changed.write_text(config.replace(exemption, ""))
    result = lint_imports(changed)
    assert result.returncode != 0
    assert "sartiq is not allowed to import integrations" in result.stdout
    assert "sartiq.catalog.api.views -> integrations.selectors" in result.stdout
