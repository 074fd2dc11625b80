"""`make bench`: the performance suite on real PostgreSQL and Redis.

Usage: DATABASE_URL=postgres://…/permits_bench REDIS_URL=redis://…/N python bench/run.py
       [--skip-seed] [--runs 3] [--only 1,2,3,4,5,6] [--permits 1000000]

The database named in DATABASE_URL is created if missing, migrated, and its
register REPLACED by the generated archive: never point it at real data.
Prints, for each figure, the median of several runs, the baseline measured in
the same run on the same database, and their ratio; writes the table into
bench/RESULTS.md between the bench markers.
"""

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _environment():
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        sys.exit(f"bench: set {' and '.join(missing)} (a scratch database and a Redis database number): "
                 "the benchmark replaces the register in that database")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-deployment-0123456789")
    # Bench-only signing key (base64 of 32 fixed bytes) and a scratch checkpoint directory.
    os.environ.setdefault("LEDGER_SIGNING_KEY", "YmVuY2gtb25seS1sZWRnZXItc2lnbmluZy1rZXkhISE=")
    os.environ.setdefault("LEDGER_CHECKPOINT_DIR", str(Path(tempfile.gettempdir()) / "permits-bench-checkpoints"))
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECURE_HTTPS", "false")
    os.environ.setdefault("API_THROTTLE_RATES", "off")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


def _create_database():
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(os.environ["DATABASE_URL"])
    name = info.get("dbname")
    try:
        psycopg.connect(os.environ["DATABASE_URL"]).close()
    except psycopg.OperationalError:
        with psycopg.connect(make_conninfo(os.environ["DATABASE_URL"], dbname="postgres"), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        print(f"created database {name}")


def _machine():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        shared = conn.execute("SHOW shared_buffers").fetchone()[0]
    load = os.getloadavg()
    return (f"{os.cpu_count()} CPU ({cpu}), {mem} RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, PostgreSQL {pg} (shared_buffers {shared}), "
            f"load average at start {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}")


def _seed(total):
    from bench.common import Figure
    from bench.seed import BIG_ACTIVE, BIG_HISTORY, seed

    import django

    django.setup()
    from permits.core.clock import today

    t = seed(os.environ["DATABASE_URL"], total=total, big_active=min(BIG_ACTIVE, total // 10),
             big_history=min(BIG_HISTORY, total // 50), today=today(), log=lambda *a: None)
    copy = t["copy_permits"] + t["copy_items_decisions"]
    fig = Figure("1", f"seeding {total:,} permits, {t['items']:,} items, {t['decisions']:,} ledger decisions "
                 "(COPY, indexes rebuilt, ANALYZE)", t["total"], "s", copy, "generate + COPY alone",
                 "< 300 s", runs=[t["total"]],
                 note=f"indexes {t['indexes']:.0f} s, VACUUM ANALYZE {t['analyze']:.0f} s; one run")
    fig.met = t["total"] < 300
    return [fig]


def _write_results(machine, started, figures, elapsed, sections):
    """Update bench/RESULTS.md. Figures of sections not run this time are kept
    from the previous run (bench/results.json), each with the date it was measured."""
    import json

    from bench.common import HEADER, Figure

    store_path = ROOT / "bench" / "results.json"
    store = json.loads(store_path.read_text()) if store_path.exists() else {}
    stamp = f"{started:%Y-%m-%d %H:%M} UTC"
    for section in sections:
        store[section] = {"measured": stamp, "machine": machine, "figures": []}
    for f in figures:
        section = f.number[0]
        store.setdefault(section, {"measured": stamp, "machine": machine, "figures": []})
        store[section]["figures"].append({k: v for k, v in f.__dict__.items()})
    store_path.write_text(json.dumps(store, indent=1, default=str) + "\n")
    rows, dates = [], {}
    for section in sorted(store):
        entry = store[section]
        dates.setdefault(entry["measured"], []).append(section)
        for data in entry["figures"]:
            rows.append(Figure(**data).row())
    when = "; ".join(f"figures {', '.join(s)}: {d}" for d, s in sorted(dates.items()))
    block = "\n".join([
        START,
        f"Measured {when} (last run took {elapsed / 60:.1f} min). Machine: {machine}.",
        "",
        HEADER,
        *rows,
        END,
    ])
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-seed", action="store_true", help="keep the data already seeded")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="1,2,3,4,5,6,7")
    parser.add_argument("--permits", type=int, default=1_000_000)
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any figure misses its target")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    _environment()
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    _create_database()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    # The pages render with the production static storage (hashed names).
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    machine = _machine()
    print(f"machine: {machine}", flush=True)
    figures = []

    def section(label, fn):
        print(f"{label} …", flush=True)
        try:
            figures.extend(fn())
        except Exception as exc:  # one failing figure must not hide the others
            from bench.common import Figure

            figures.append(Figure(label.split()[0], label, None, "", note=f"failed: {exc!r}"[:300]))
            print(f"    failed: {exc!r}", flush=True)

    if "1" in only and not args.skip_seed:
        section("1 seeding", lambda: _seed(args.permits))
    import django

    django.setup()
    from bench import blanket, events, flagging, pages, search, status_api

    if "5" in only:
        section("5 search", search.run)
    if "3" in only:
        section("3 blanket suspension", lambda: blanket.run(args.runs))
    if "7" in only:
        section("7 events and webhooks", lambda: events.run(args.runs))
    if "2" in only:
        section("2 flagging", lambda: flagging.run(args.runs))
    if "6" in only:
        section("6 pages", pages.run)
    if "4" in only:
        section("4 status API", lambda: status_api.run(args.runs))
    figures.sort(key=lambda f: f.number)
    from bench.common import HEADER

    print()
    print(HEADER)
    for f in figures:
        print(f.row())
    elapsed = time.perf_counter() - t0
    print(f"\ntotal {elapsed / 60:.1f} min")
    if not args.no_write:
        sections = sorted(only - ({"1"} if args.skip_seed else set()))
        print(f"written to {_write_results(machine, started, figures, elapsed, sections)}")
    missed = [f for f in figures if f.met is False]
    if missed:
        print(f"{len(missed)} figure(s) miss their target: see the rows marked **no**")
    # A benchmark reports; only --strict turns a missed target into a failing exit.
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
