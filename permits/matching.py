"""Control-list entry matching, as the API contract defines it.

A pattern P matches an entry E when E equals P, or E starts with P and either
P ends in "-" or ".", or the character of E right after P is ".". So "2-15"
matches "2-15" and "2-15.a" but not "2-150"; "2-" matches all of group 2.
"""

import re

from django.db.models import Q

ENTRY_PATTERN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,39}$")


def is_valid_pattern(pattern):
    return bool(pattern) and bool(ENTRY_PATTERN_RE.match(pattern))


def entry_q(pattern, field="control_entry"):
    """The same rule as a filter on ``field`` (uses a prefix index)."""
    q = Q(**{field: pattern}) | Q(**{f"{field}__startswith": pattern + "."})
    if pattern[-1] in "-.":
        q |= Q(**{f"{field}__startswith": pattern})
    return q


# The same rule in SQL, for set-based statements: %(entry)s and %(pattern)s are
# SQL expressions substituted by the caller.
ENTRY_MATCH_SQL = (
    "({entry} = {pattern} OR (right({pattern}, 1) IN ('-', '.') AND starts_with({entry}, {pattern}))"
    " OR starts_with({entry}, {pattern} || '.'))"
)
