"""The house's rules, held by the code itself (docs/architecture.md): packages named for what
they hold, blueprints that call services and never each other, the demo reached by its hook."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRIDMAP = ROOT / "gridmap"


def imports(path: Path) -> set[str]:
    """The gridmap modules a file imports (``from gridmap.x import y`` gives gridmap.x and
    gridmap.x.y, either of which may be a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m.startswith("gridmap")}


def blueprints() -> dict[str, Path]:
    return {
        f"gridmap.web.{p.stem}": p
        for p in (GRIDMAP / "web").glob("*.py")
        if "Blueprint(" in p.read_text(encoding="utf-8")
    }


def test_the_root_holds_the_app_factory_and_packages():
    modules = [p.name for p in GRIDMAP.glob("*.py")]
    assert len(modules) <= 10, modules
    assert {p.name for p in GRIDMAP.iterdir() if p.is_dir() and (p / "__init__.py").exists()} >= {
        "core",
        "store",
        "geo",
        "intake",
        "center",
        "cases",
        "planner",
        "accounts",
        "people",
        "cli",
        "web",
        "data",
        "demo",
    }


def test_every_package_says_what_it_holds_and_may_import():
    for init in GRIDMAP.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        if init.parent.name in ("demo", "data", "web"):
            assert doc, init
            continue
        assert "May import:" in doc, init


def test_blueprints_call_services_never_each_other_nor_the_data_layer_nor_the_demo():
    prints = blueprints()
    assert len(prints) >= 12
    for name, path in prints.items():
        wrong = {
            m
            for m in imports(path)
            if m in prints.keys() - {name} or m.startswith(("gridmap.data", "gridmap.demo"))
        }
        assert wrong == set(), name


def test_core_imports_nothing_of_gridmap_and_store_only_core():
    for path in (GRIDMAP / "core").glob("*.py"):
        assert {m for m in imports(path) if not m.startswith("gridmap.core")} == set(), path
    for path in (GRIDMAP / "store").glob("*.py"):
        assert {
            m for m in imports(path) if not m.startswith(("gridmap.core", "gridmap.store"))
        } == set(), path


def test_an_installed_gridmap_ships_its_layers_assets_and_migrations(tmp_path):
    """static/ and layers/ stay at the top level and ship with the wheel, as do the templates
    and both kinds of migrations."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("gridmap-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ("static/gridmap.css", "static/field-sw.js", "layers/incidents.py"):
        assert path in names, path
    assert any(n.startswith("static/vendor/leaflet/") for n in names)
    assert any(n.startswith("gridmap/migrations/repeatable/") for n in names)
    assert any(n.startswith("gridmap/web/templates/") for n in names)
