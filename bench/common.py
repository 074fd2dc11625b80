"""Small helpers shared by the benchmarks."""

import os
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg


def dsn():
    return os.environ["DATABASE_URL"]


@contextmanager
def raw(autocommit=True):
    """A psycopg connection of its own, for baselines and resets."""
    with psycopg.connect(dsn(), autocommit=autocommit) as conn:
        yield conn


def median(values):
    return statistics.median(values) if values else None


def percentile(values, pct):
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


@dataclass
class Figure:
    """One line of the results: product vs baseline, medians of ``runs``."""

    number: str
    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    met: bool | None = None
    runs: list = field(default_factory=list)
    baseline_runs: list = field(default_factory=list)
    note: str = ""

    @property
    def ratio(self):
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def row(self):
        def fmt(v):
            if v is None:
                return "—"
            return f"{v:,.3f}" if v < 10 else f"{v:,.1f}"

        ratio = "—" if self.ratio is None else f"{self.ratio:.2f}"
        met = {True: "yes", False: "**no**", None: "—"}[self.met]
        runs = ", ".join(fmt(r) for r in self.runs) if self.runs else ""
        return (f"| {self.number} | {self.name} | {fmt(self.value)} {self.unit} | "
                f"{fmt(self.baseline)} {self.unit if self.baseline is not None else ''} "
                f"({self.baseline_name}) | {ratio} | {self.target} | {met} | {runs} | {self.note} |")


HEADER = ("| # | figure | product (median) | baseline (median, same run) | ratio | target | met | "
          "product runs | note |\n|---|---|---|---|---|---|---|---|---|")


def disable_user_triggers(cur, tables):
    """Baselines are bare SQL: no audit triggers (foreign keys stay checked)."""
    for table in tables:
        cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")


def enable_user_triggers(cur, tables):
    for table in tables:
        cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
