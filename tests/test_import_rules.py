"""The one rule of dependencies: config -> reviews -> permits -> permits.core, never upwards."""

import grimp
import pytest
from importlinter.cli import lint_imports

from tests.conftest import ROOT


def test_config_reviews_and_permits_import_only_downwards(monkeypatch):
    # lint-imports reads the contracts from pyproject.toml in the working directory.
    monkeypatch.chdir(ROOT)
    assert lint_imports() == 0, "an import goes up the layers: see the lint-imports report above"


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("permits", "reviews", "config", include_external_packages=False)


def test_the_shared_core_imports_nothing_of_the_project_above_it(graph):
    core = {"permits.core"} | graph.find_descendants("permits.core")
    upward = sorted(
        (module, imported)
        for module in core
        for imported in graph.find_modules_directly_imported_by(module)
        if imported not in core
    )
    assert upward == []


def test_the_register_never_imports_the_work_on_it(graph):
    permits = {"permits"} | graph.find_descendants("permits")
    assert not [
        (module, imported)
        for module in permits
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.split(".")[0] in ("reviews", "config")
    ]


def test_the_development_launcher_is_not_in_the_production_wheel():
    import tomllib

    from setuptools import find_packages

    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(str(ROOT), include=found["include"], exclude=found.get("exclude", ()))
    assert "config" in packages and "permits.core" in packages
    assert not [name for name in packages if name == "config.dev" or name.startswith("config.dev.")]
