"""Development tooling (the launcher behind `make run`, `make test`, `make bench`).

Not part of the production wheel: pyproject.toml excludes this package.
"""
