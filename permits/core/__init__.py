"""The bottom layer: what every layer needs, written once.

Roles (``roles``), the role gate for views (``http``), the domain errors
(``errors``), the clock (``clock``), the database helpers (``db``) and the
client's address (``client_address``). ``config``, ``reviews`` and the rest
of ``permits`` import from here; this package imports none of them
(tests/test_import_rules.py keeps it so).
"""
