"""Seed the register with a national archive: 1,000,000 permits by COPY.

- 100,000 active permits to one destination (``BIG``), plus that
  destination's history (expired, cancelled, denied: not live, so never flagged);
- the rest spread over every destination with a realistic status mix;
- about 2.5 items per permit;
- the decisions that explain every status, hashed into one ledger chain in id
  order exactly as ``permits.ledger`` does, so that the chain verifies.

Secondary indexes are dropped during the load and rebuilt afterwards (the
usual bulk-load order: one sorted build instead of 3.5 million inserts into
each index). The load runs with ``session_replication_role = replica``, which
skips foreign-key and audit triggers for this archive import only; the data
is generated consistent. Runtime work (flagging, decisions) is measured later
with every trigger on.
"""

import datetime as dt
import hashlib
import json
import random
import time

import psycopg

BIG = "TR"
BIG_ACTIVE = 100_000
BIG_HISTORY = 20_000
TOTAL = 1_000_000
CHUNK = 1 << 20

TABLES = ["permits_permit", "permits_permititem", "permits_decision"]

_PREFIXES = [
    "Northern", "Atlantic", "Pacific", "Laurentian", "Prairie", "Maple", "Boreal", "Summit", "Polar",
    "Coastal", "Granite", "Cedar", "Falcon", "Orion", "Vector", "Meridian", "Aurora", "Keystone",
    "Frontier", "Harbour", "Sterling", "Capital", "Pioneer", "Titan", "Nova", "Apex", "Delta", "Sigma",
    "Helix", "Quantum", "Zenith", "Cobalt", "Iron", "Silver", "Crimson", "Azure", "Emerald", "Onyx",
    "Raven", "Eagle",
]
_CORES = [
    "Optics", "Dynamics", "Defence Systems", "Aerospace", "Electronics", "Precision", "Sensors",
    "Marine", "Vehicles", "Avionics", "Photonics", "Munitions", "Robotics", "Security", "Imaging",
    "Technologies", "Engineering", "Industries", "Composites", "Communications", "Armour",
    "Propulsion", "Simulation", "Cyber", "Navigation",
]
_SUFFIXES = ["Inc.", "Ltd.", "Corp.", "Canada", "Group", "ULC"]
_FOREIGN = [
    "Armed Forces", "Ministry of Defence", "Navy", "Air Force", "Border Guard", "National Police",
    "Defence Procurement Agency", "Coast Guard", "Army", "Special Forces",
]
_FOREIGN_FIRMS = [
    "Savunma", "Teknoloji", "Industries", "Systems", "Holding", "Trading", "Logistics", "Engineering",
    "Aviation", "Shipyards",
]
_GOODS = [
    ("2-15.a", "EO/IR imaging sensor turret"), ("2-15.b", "thermal imaging camera core"),
    ("2-15.c", "image intensifier tube"), ("2-5.a", "fire control computer"),
    ("2-5.b", "laser rangefinder module"), ("2-10.a", "unmanned aerial vehicle airframe"),
    ("2-10.c", "UAV flight control unit"), ("2-11.a", "electronic warfare receiver"),
    ("2-6.a", "armoured vehicle hull"), ("2-6.b", "light armoured vehicle turret"),
    ("2-1.a", "rifle barrel assembly"), ("2-3.a", "artillery ammunition fuze"),
    ("2-4.a", "guided rocket motor"), ("2-9.a", "naval patrol vessel radar mast"),
    ("2-13.a", "ballistic protection plate"), ("2-14.a", "weapons training simulator"),
    ("2-17.a", "night vision goggle assembly"), ("2-18.a", "armour production tooling"),
    ("2-21.a", "targeting software licence"), ("2-22.a", "technology for imaging sensors"),
    ("1-6.A.3", "infrared focal plane array"), ("1-5.A.2", "encrypted radio module"),
    ("1-7.A.1", "inertial navigation unit"), ("1-9.A.12", "small UAV engine"),
    ("1-3.A.1", "radiation-hardened microcircuit"), ("1-4.A.1", "high-performance computer"),
    ("5-5504.2", "US-origin sensor assembly"), ("6-1.A", "rocket guidance set"),
    ("9-1", "ATT battle tank component"), ("9-8", "small arms spare parts"),
]
_MODELS = ["MX-15D", "MX-10", "MX-20", "Mk II", "Mk III", "Series 4", "Block 2", "V7", "Type 900", "XR-5"]
_USES = ["UAV sensor payload", "border surveillance", "naval patrol", "training", "maintenance spares",
         "air defence", "law enforcement", "search and rescue", "peacekeeping"]


def _names(rng):
    exporters = [f"{p} {c} {s}" for p in _PREFIXES for c in _CORES for s in _SUFFIXES[:2]]
    exporters.append("L3Harris WESCAM")
    rng.shuffle(exporters)
    parties = [f"{p} {f}" for p in _PREFIXES + _CORES for f in _FOREIGN_FIRMS]
    parties += ["Baykar"]
    rng.shuffle(parties)
    descriptions = [f"{model} {what}" for _entry, what in _GOODS for model in _MODELS]
    return exporters, parties, descriptions


def _canonical(number, kind, from_status, to_status, effective_on, recorded_at_iso, authority, reason):
    # Byte for byte permits.ledger.canonical (decided_by and batch are null here).
    return json.dumps(
        {"permit": number, "kind": kind, "from": from_status, "to": to_status,
         "effective_on": effective_on.isoformat(), "recorded_at": recorded_at_iso,
         "authority": authority, "reason": reason, "decided_by": None, "batch": None},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )


class _Writer:
    """Buffers COPY text lines and streams them in ~1 MB chunks."""

    def __init__(self, copy):
        self.copy, self.parts, self.size = copy, [], 0

    def line(self, text):
        self.parts.append(text)
        self.size += len(text)
        if self.size >= CHUNK:
            self.flush()

    def flush(self):
        if self.parts:
            self.copy.write("".join(self.parts))
            self.parts, self.size = [], 0


def _secondary_indexes(cur):
    cur.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s) AND NOT x.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        [TABLES],
    )
    return cur.fetchall()


def _rebuild(dsn, indexes, log, connections=2):
    """Build the dropped indexes again, biggest first, on two connections at once."""
    from concurrent.futures import ThreadPoolExecutor

    def weight(entry):
        name, definition = entry
        return ("gin" in definition) * 10 + ("permititem" in definition) * 5 + ("permit" in definition)

    queue = sorted(indexes, key=weight, reverse=True)

    def build(entry):
        name, definition = entry
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '256MB'")
            t = time.perf_counter()
            conn.execute(definition)
            log(f"    index {name}: {time.perf_counter() - t:.1f} s")

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(build, queue))


def seed(dsn, *, total=TOTAL, big_active=BIG_ACTIVE, big_history=BIG_HISTORY, today=None, log=print):
    """Empty the register and load it; returns a dict of timings (seconds)."""
    rng = random.Random(20201005)
    today = today or dt.date.today()
    exporters, parties, descriptions = _names(rng)
    timings = {}
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT code FROM permits_destination ORDER BY code")
        codes = [r[0] for r in cur.fetchall()]
        others = [c for c in codes if c != BIG]
        cur.execute(
            "SELECT string_agg(quote_ident(table_name), ', ') FROM information_schema.tables "
            "WHERE table_schema = 'public' AND (table_name LIKE 'reviews\\_%%' OR table_name LIKE '%%event' "
            "OR table_name IN ('permits_permit', 'permits_permititem', 'permits_decision', "
            "'permits_enduseassurance', 'pghistory_context'))"
        )
        (to_empty,) = cur.fetchone()
        # The append-only tables refuse TRUNCATE from a trigger; a superuser's
        # replica mode fires no ordinary trigger (the load below runs so too).
        cur.execute("SET session_replication_role = replica")
        cur.execute(f"TRUNCATE {to_empty} RESTART IDENTITY CASCADE")
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("UPDATE permits_destination SET open_flags = 0")
        indexes = _secondary_indexes(cur)
        for name, _definition in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        timings["prepare"] = time.perf_counter() - t0

        cur.execute("SET session_replication_role = replica")
        cur.execute("SET synchronous_commit = off")
        t1 = time.perf_counter()
        head = "0" * 64
        decision_id = 0
        item_id = 0
        recorded_base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        plan = [(BIG, "active")] * big_active
        plan += [(BIG, rng.choice(("expired", "expired", "cancelled", "denied"))) for _ in range(big_history)]
        mix = (["expired"] * 55 + ["active"] * 25 + ["pending"] * 7 + ["cancelled"] * 5
               + ["denied"] * 5 + ["suspended"] * 3)
        plan += [(rng.choice(others), rng.choice(mix)) for _ in range(total - len(plan))]
        rng.shuffle(plan)
        permit_cols = ("id, number, exporter, exporter_email, destination_id, consignee, end_user, end_use, "
                       "status, received_on, issued_on, valid_until, starts_on, currency, open_flags, "
                       "created_at, updated_at")
        item_cols = "id, permit_id, control_entry, description, quantity, value"
        decision_cols = ("id, permit_id, kind, from_status, to_status, effective_on, recorded_at, authority, "
                         "reason, decided_by_id, batch, hash, previous_hash")
        with conn.transaction():
            # Three COPY streams cannot be open on one connection at once:
            # permits stream first while items and decisions are buffered as
            # text (a few hundred MB for a million permits), then copied.
            items, decision_lines = [], []
            ritems, rdec = items.append, decision_lines.append
            R = rng.random
            lo = today.toordinal() - 12_000
            iso = [dt.date.fromordinal(lo + k).isoformat() for k in range(14_000)]
            t_ord = today.toordinal()
            n_exp, n_par, n_desc, n_goods, n_use = (len(exporters), len(parties), len(descriptions),
                                                    len(_GOODS), len(_USES))
            n_items = (1, 2, 2, 3, 3, 4)
            sha = hashlib.sha256
            template = ('{{"authority":"{}","batch":null,"decided_by":null,"effective_on":"{}","from":"{}",'
                        '"kind":"{}","permit":"{}","reason":"{}","recorded_at":"{}","to":"{}"}}')
            assert template.format("a", "2020-01-01", "active", "suspend", "N-1", "r's", "x", "suspended") == (
                _canonical("N-1", "suspend", "active", "suspended", dt.date(2020, 1, 1), "x", "a", "r's"))
            with cur.copy(f"COPY permits_permit ({permit_cols}) FROM STDIN") as pcopy:
                pw = _Writer(pcopy)
                for pid, (dest, status) in enumerate(plan, start=1):
                    if dest == BIG and status == "active":
                        starts = t_ord - 30 - int(R() * 970)
                    else:
                        starts = t_ord - 30 - int(R() * 9470)
                    number = f"EXP-{iso[starts - lo][:4]}-{pid:07d}"
                    exporter = exporters[pid % n_exp]
                    consignee = parties[int(R() * n_par)]
                    end_user = parties[int(R() * n_par)] if pid % 3 else f"{dest} {_FOREIGN[pid % 10]}"
                    received = starts
                    issued = valid = r"\N"
                    decisions = ()
                    if status == "pending":
                        starts = received = t_ord - 1 - int(R() * 300)
                    elif status == "denied":
                        decisions = (("deny", "pending", "denied", min(received + 10 + int(R() * 80), t_ord),
                                      "EIPA s.7.4", "Substantial risk under s.7.4."),)
                    else:
                        if status == "active" or status == "suspended":
                            valid_until = t_ord + 30 + int(R() * 1470)
                        elif status == "expired":
                            valid_until = min(starts + 365 + int(R() * 1095), t_ord - 2)
                        else:
                            valid_until = starts + 700 + int(R() * 760)
                        issued, valid = iso[starts - lo], iso[valid_until - lo]
                        issue = ("issue", "pending", "active", starts, "EIPA s.7(1)",
                                 "Permit issued by the licensing system.")
                        later = min(starts + 1 + int(R() * 600), t_ord, valid_until)
                        if status == "active":
                            decisions = (issue,)
                        elif status == "suspended":
                            decisions = (issue, ("suspend", "active", "suspended", later, "EIPA s.10(1)",
                                                 "Suspended pending review of new information."))
                        elif status == "cancelled":
                            decisions = (issue, ("cancel", "active", "cancelled", later, "EIPA s.10(1)",
                                                 "Cancelled: end-use assurances not kept."))
                        else:
                            decisions = (issue, ("expire", "active", "expired", valid_until + 1,
                                                 "Permit validity ended (valid_until)",
                                                 "The permit's period of validity ended."))
                    rec = iso[received - lo]
                    pw.line(
                        f"{pid}\t{number}\t{exporter}\texports{pid % 997}@example.com\t{dest}\t{consignee}\t"
                        f"{end_user}\t{_USES[pid % n_use]}\t{status}\t{rec}\t{issued}\t{valid}\t"
                        f"{iso[starts - lo]}\tCAD\t0\t{rec} 12:00:00+00\t{rec} 12:00:00+00\n"
                    )
                    for _ in range(n_items[int(R() * 6)]):
                        item_id += 1
                        entry, what = _GOODS[int(R() * n_goods)]
                        desc = descriptions[int(R() * n_desc)] if R() < 0.7 else what
                        ritems(f"{item_id}\t{pid}\t{entry}\t{desc}\t{1 + int(R() * 40)}\t"
                               f"{1000 + int(R() * 5_000_000)}.00\n")
                    for kind, frm, to, eff, authority, reason in decisions:
                        decision_id += 1
                        recorded = (recorded_base + dt.timedelta(seconds=decision_id)).isoformat()
                        eff_iso = iso[eff - lo]
                        digest = sha((head + template.format(authority, eff_iso, frm, kind, number, reason,
                                                             recorded, to)).encode()).hexdigest()
                        rdec(f"{decision_id}\t{pid}\t{kind}\t{frm}\t{to}\t{eff_iso}\t{recorded}\t{authority}\t"
                             f"{reason}\t\\N\t\\N\t{digest}\t{head}\n")
                        head = digest
                pw.flush()
            timings["copy_permits"] = time.perf_counter() - t1
            t2 = time.perf_counter()
            with cur.copy(f"COPY permits_permititem ({item_cols}) FROM STDIN") as icopy:
                for k in range(0, len(items), 20_000):
                    icopy.write("".join(items[k:k + 20_000]))
            del items
            with cur.copy(f"COPY permits_decision ({decision_cols}) FROM STDIN") as dcopy:
                for k in range(0, len(decision_lines), 20_000):
                    dcopy.write("".join(decision_lines[k:k + 20_000]))
            del decision_lines
            timings["copy_items_decisions"] = time.perf_counter() - t2
        cur.execute("SET session_replication_role = DEFAULT")
        for table, column in (("permits_permit", "id"), ("permits_permititem", "id"), ("permits_decision", "id")):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))")
        t3 = time.perf_counter()
        _rebuild(dsn, indexes, log)
        timings["indexes"] = time.perf_counter() - t3
        t4 = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) permits_permit, permits_permititem, permits_decision")
        timings["analyze"] = time.perf_counter() - t4
        cur.execute("SELECT count(*) FROM permits_permititem")
        timings["items"] = cur.fetchone()[0]
        timings["decisions"] = decision_id
    timings["total"] = time.perf_counter() - t0
    return timings


if __name__ == "__main__":
    import os
    import sys

    from zoneinfo import ZoneInfo

    dsn = os.environ["DATABASE_URL"]
    today = dt.datetime.now(ZoneInfo(os.environ.get("TIME_ZONE", "America/Toronto"))).date()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else TOTAL
    print(seed(dsn, total=n, big_active=min(BIG_ACTIVE, n // 10), big_history=min(BIG_HISTORY, n // 50), today=today))
