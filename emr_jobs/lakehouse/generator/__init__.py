"""Seeded synthetic data for all six sources, with planted defects and a manifest of them.

``generate(out_dir, scale=1.0, seed=42)`` writes, under ``out_dir`` (the local lake root):

* ``_sources/snowflake/{orders,customers,products}/part-*.csv``  — the Snowflake stand-in;
* ``_sources/redshift/behaviour_events.csv``  — loaded into H2 / PostgreSQL by ``lakehouse.standins.jdbc``;
* ``_sources/salesforce/{Account,Contact,Opportunity}.json``  — served by the Salesforce stand-in;
* ``_sources/kafka/events/part-*.jsonl``  — Kafka records (topic/partition/offset/timestamp/key/value);
* ``_sources/fx_api/rates.json``  — served by the FX stand-in (≥ 20 currencies, every order date);
* ``landing/erp/*.csv``, ``landing/hr/*.json``, ``landing/vendor/*.parquet``  — the S3 landing files;
* ``_sources/manifest.json``  — what was generated and every planted defect: kind, table, count and the
  expected outcome (``quarantine`` with a reason code, at ``bronze`` or ``silver``; or ``deduplicated`` /
  ``loaded``), so tests can check each one.

``append(out_dir, fraction=0.01, seed=42)`` then adds a batch of new data arriving after the daily run
(``lakehouse.generator.incremental``; recorded in ``_sources/appends.json``).

Pure standard library (EMR and laptops have no pandas/pyarrow to rely on); only the vendor Parquet files
need Spark, which is passed in or built on demand.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import shutil
import uuid
from collections import Counter
from pathlib import Path

END_DATE = dt.date(2024, 6, 30)  # fixed: the same seed gives the same files on every machine and day
DAYS = 30
REGIONS = {
    "NA": ["US", "CA", "MX"],
    "EMEA": ["GB", "DE", "FR", "NL", "ES", "IT", "SE", "CH", "PL", "ZA"],
    "APAC": ["JP", "AU", "SG", "IN", "CN", "KR", "NZ"],
    "LATAM": ["BR", "AR", "CL", "CO"],
}
# USD per unit, starting points of the daily random walk.
CURRENCIES = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "JPY": 0.0064,
    "CAD": 0.73,
    "AUD": 0.66,
    "CHF": 1.11,
    "CNY": 0.138,
    "SEK": 0.095,
    "NZD": 0.61,
    "MXN": 0.055,
    "SGD": 0.74,
    "HKD": 0.128,
    "NOK": 0.094,
    "KRW": 0.00073,
    "INR": 0.012,
    "BRL": 0.19,
    "ZAR": 0.054,
    "PLN": 0.25,
    "DKK": 0.145,
    "ARS": 0.0011,
    "CLP": 0.0011,
    "COP": 0.00025,
    "TRY": 0.031,
    "THB": 0.027,
}
UNKNOWN_CURRENCIES = ("XYZ", "QQQ")  # ISO-shaped but in no FX feed
COUNTRY_CCY = {
    "US": "USD",
    "CA": "CAD",
    "MX": "MXN",
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "ES": "EUR",
    "IT": "EUR",
    "SE": "SEK",
    "CH": "CHF",
    "PL": "PLN",
    "ZA": "ZAR",
    "JP": "JPY",
    "AU": "AUD",
    "SG": "SGD",
    "IN": "INR",
    "CN": "CNY",
    "KR": "KRW",
    "NZ": "NZD",
    "BR": "BRL",
    "AR": "ARS",
    "CL": "CLP",
    "CO": "COP",
}
ORDER_STATUSES = ["placed", "shipped", "delivered", "cancelled", "returned"]
FIRST = [
    "Ana",
    "Ben",
    "Chen",
    "Dara",
    "Eli",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jo",
    "Kofi",
    "Lena",
    "Mia",
    "Noah",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Uma",
    "Vic",
    "Wen",
    "Yara",
    "Zed",
]
LAST = [
    "Smith",
    "Garcia",
    "Müller",
    "Tanaka",
    "Silva",
    "Kowalski",
    "Dubois",
    "Rossi",
    "Khan",
    "Novak",
    "Jensen",
    "Okafor",
    "Lee",
    "Nguyen",
    "Costa",
    "Berg",
]
CATEGORIES = ["electronics", "home", "garden", "toys", "books", "sports", "beauty", "grocery"]
SF_STAGES = ["Prospecting", "Qualification", "Proposal", "Closed Won", "Closed Lost"]
INDUSTRIES = ["Retail", "Manufacturing", "Finance", "Healthcare", "Technology", "Energy", None]


def _ts(d: dt.datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")


def _sf_ts(d: dt.datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class _Defects:
    """The manifest of planted defects: kind/table -> count and expected outcome."""

    def __init__(self):
        self.items: dict[tuple[str, str], dict] = {}

    def add(
        self,
        kind: str,
        table: str,
        outcome: str,
        *,
        reason_code: str | None = None,
        stage: str = "bronze",
        n: int = 1,
        note: str = "",
    ) -> None:
        key = (kind, table)
        item = self.items.setdefault(
            key,
            {
                "kind": kind,
                "table": table,
                "count": 0,
                "outcome": outcome,
                "stage": stage,
                "reason_code": reason_code,
                "note": note,
            },
        )
        item["count"] += n

    def as_list(self) -> list[dict]:
        return sorted(self.items.values(), key=lambda i: (i["table"], i["kind"]))


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _chunks(rows: list, n: int) -> list[list]:
    size = max(1, -(-len(rows) // n))
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def generate(
    out_dir, scale: float = 1.0, seed: int = 42, *, spark=None, end_date: dt.date = END_DATE, days: int = DAYS
) -> dict:
    """Write every source's data under ``out_dir`` and return the manifest (also written as JSON)."""
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    out = Path(out_dir)
    src = out / "_sources"
    for sub in ("snowflake", "redshift", "salesforce", "kafka", "fx_api"):
        shutil.rmtree(src / sub, ignore_errors=True)
    for sub in ("erp", "hr", "vendor"):
        shutil.rmtree(out / "landing" / sub, ignore_errors=True)
    (src / "appends.json").unlink(missing_ok=True)  # append batches belong to the data they followed
    rnd = random.Random(seed)
    defects = _Defects()
    start = end_date - dt.timedelta(days=days - 1)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    span = days * 86400

    def when(lo: dt.date = start, secs: int = span) -> dt.datetime:
        return dt.datetime.combine(lo, dt.time()) + dt.timedelta(seconds=rnd.randrange(secs))

    n_cust, n_prod = max(50, int(20_000 * scale)), max(20, int(2_000 * scale))
    n_orders, n_events = max(200, int(100_000 * scale)), max(100, int(50_000 * scale))
    n_acc, n_con, n_opp = (
        max(20, int(5_000 * scale)),
        max(40, int(15_000 * scale)),
        max(30, int(10_000 * scale)),
    )
    n_kafka = max(100, int(10_000 * scale))

    def k(base: int) -> int:  # defect counts scale with the data but never vanish
        return max(2, round(base * scale))

    # ---- FX rates (every date the orders span, 25 currencies) ----------------------------------
    fx: dict[str, dict[str, float]] = {}
    level = dict(CURRENCIES)
    for d in dates:
        for c in level:
            if c != "USD":
                level[c] *= 1 + rnd.uniform(-0.005, 0.005)
        fx[d.isoformat()] = {c: round(v, 8) for c, v in level.items()}
    (src / "fx_api").mkdir(parents=True, exist_ok=True)
    (src / "fx_api" / "rates.json").write_text(json.dumps(fx, sort_keys=True))

    # ---- Snowflake: customers, products, orders ------------------------------------------------
    customers = []
    for i in range(n_cust):
        region = rnd.choice(list(REGIONS))
        country = rnd.choice(REGIONS[region])
        fn, ln = rnd.choice(FIRST), rnd.choice(LAST)
        created = when(start - dt.timedelta(days=365), 365 * 86400)
        customers.append(
            [
                f"C{i:07d}",
                fn,
                ln,
                f"{fn.lower()}.{ln.lower()}{i}@example.com".replace("ü", "u"),
                f"+1-555-{i % 10_000:04d}",
                country,
                region,
                rnd.choice(["consumer", "smb", "enterprise"]),
                _ts(created),
                _ts(when()),
            ]
        )
    cust_header = [
        "customer_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "country",
        "region",
        "segment",
        "created_at",
        "updated_at",
    ]
    products = []
    for i in range(n_prod):
        products.append(
            [
                f"P{i:06d}",
                f"{rnd.choice(CATEGORIES).title()} item {i}",
                rnd.choice(CATEGORIES),
                f"{rnd.uniform(2, 900):.2f}",
                "USD",
                _ts(when()),
            ]
        )
    prod_header = ["product_id", "product_name", "category", "list_price", "currency", "updated_at"]

    order_header = [
        "order_id",
        "customer_id",
        "product_id",
        "order_ts",
        "quantity",
        "unit_price",
        "currency",
        "status",
        "updated_at",
    ]
    orders = []
    for i in range(n_orders):
        c = customers[rnd.randrange(n_cust)]
        p = products[rnd.randrange(n_prod)]
        ots = when()
        upd = min(
            ots + dt.timedelta(hours=rnd.randrange(0, 48)), dt.datetime.combine(end_date, dt.time(23, 59, 59))
        )
        orders.append(
            [
                f"O{i:08d}",
                c[0],
                p[0],
                _ts(ots),
                str(rnd.randint(1, 5)),
                p[3],
                COUNTRY_CCY[c[5]],
                rnd.choice(ORDER_STATUSES),
                _ts(upd),
            ]
        )
    # Planted defects on distinct rows (a shuffled index pool, so counts are exact).
    pool = list(range(n_orders))
    rnd.shuffle(pool)
    take = lambda n: [pool.pop() for _ in range(n)]  # noqa: E731
    for i in take(k(50)):
        orders[i][0] = ""
        defects.add("null_business_key", "orders", "quarantine", reason_code="null_key")
    for i in take(k(40)):
        orders[i][5] = rnd.choice(["12,50", "abc", "1.2.3"])
        defects.add("unparseable_number", "orders", "quarantine", reason_code="invalid_type")
    for i in take(k(40)):
        orders[i][3] = rnd.choice(["31/02/2024 10:00", "2024-13-45 00:00:00", "yesterday"])
        defects.add("unparseable_date", "orders", "quarantine", reason_code="invalid_type")
    for i in take(k(40)):
        orders[i][4] = str(-rnd.randint(1, 3))
        defects.add("negative_quantity", "orders", "quarantine", reason_code="out_of_range")
    for i in take(k(30)):
        orders[i][6] = rnd.choice(UNKNOWN_CURRENCIES)
        defects.add(
            "unknown_currency",
            "orders",
            "quarantine",
            reason_code="unknown_currency",
            stage="silver",
            note="ISO-shaped code with no FX rate; bronze accepts it, silver cannot convert it",
        )
    for i in take(k(30)):
        orders[i][1] = f"C9{rnd.randrange(10**6):06d}X"
        defects.add(
            "orphan_foreign_key",
            "orders",
            "quarantine",
            reason_code="orphan_fk",
            stage="silver",
            note="customer_id not in customers",
        )
    extra_rows = []
    for i in take(k(200)):  # exact duplicates (at-least-once exports)
        extra_rows.append(list(orders[i]))
        defects.add("duplicate_row", "orders", "deduplicated")
    for i in take(k(200)):  # conflicting versions: same key, later updated_at, different status
        newer = list(orders[i])
        upd = dt.datetime.strptime(newer[8], "%Y-%m-%d %H:%M:%S") + dt.timedelta(minutes=rnd.randint(1, 600))
        newer[8] = _ts(min(upd, dt.datetime.combine(end_date, dt.time(23, 59, 59))))
        if newer[8] == orders[i][8]:
            orders[i][8] = _ts(upd - dt.timedelta(hours=12))
        newer[7] = "cancelled" if newer[7] != "cancelled" else "returned"
        extra_rows.append(newer)
        defects.add("conflicting_version", "orders", "deduplicated", note="older version dropped, newer kept")
    orders += extra_rows
    rnd.shuffle(orders)

    sf_dir = src / "snowflake"
    for t, header, rows, parts in (
        ("customers", cust_header, customers, 2),
        ("products", prod_header, products, 1),
        ("orders", order_header, orders, 4),
    ):
        for j, chunk in enumerate(_chunks(rows, parts)):
            _write_csv(sf_dir / t / f"part-{j:05d}.csv", header, chunk)

    # ---- Redshift: behaviour events (late + out-of-order arrivals) -------------------------------
    ev_header = [
        "event_id",
        "customer_id",
        "event_type",
        "event_ts",
        "page",
        "session_id",
        "device",
        "loaded_at",
    ]
    events = []
    for _ in range(n_events):
        ets = when()
        loaded = ets + dt.timedelta(minutes=rnd.randint(1, 30))
        events.append(
            [
                str(uuid.UUID(int=rnd.getrandbits(128))),
                customers[rnd.randrange(n_cust)][0],
                rnd.choice(["page_view", "add_to_cart", "checkout", "search", "login"]),
                _ts(ets),
                rnd.choice(["/", "/cart", "/checkout", "/p/1", "/search"]),
                f"S{rnd.randrange(10**7):07d}",
                rnd.choice(["desktop", "mobile", "tablet"]),
                _ts(loaded),
            ]
        )
    epool = list(range(n_events))
    rnd.shuffle(epool)
    for _ in range(k(500)):
        e = events[epool.pop()]
        loaded = dt.datetime.strptime(e[7], "%Y-%m-%d %H:%M:%S")
        e[3] = _ts(loaded - dt.timedelta(days=rnd.randint(2, 5)))  # happened days before it was loaded
        defects.add("late_event", "behaviour_events", "loaded", note="old event_ts, new loaded_at")
    for _ in range(k(20)):
        events[epool.pop()][0] = None
        defects.add("null_business_key", "behaviour_events", "quarantine", reason_code="null_key")
    for _ in range(k(20)):
        events[epool.pop()][1] = f"C9{rnd.randrange(10**6):06d}X"
        defects.add(
            "orphan_foreign_key", "behaviour_events", "quarantine", reason_code="orphan_fk", stage="silver"
        )
    rnd.shuffle(events)  # rows arrive out of event-time order
    defects.add(
        "out_of_order_events",
        "behaviour_events",
        "loaded",
        n=n_events,
        note="rows are stored in random event_ts order",
    )
    _write_csv(src / "redshift" / "behaviour_events.csv", ev_header, events)

    # ---- Salesforce ------------------------------------------------------------------------------
    def sf(obj: str, i: int) -> dict:
        return {"attributes": {"type": obj, "url": f"/services/data/v59.0/sobjects/{obj}/{i}"}}

    accounts, contacts, opps = [], [], []
    for i in range(n_acc):
        country = rnd.choice(sum(REGIONS.values(), []))
        accounts.append(
            {
                **sf("Account", i),
                "Id": f"001{i:015d}",
                "Name": f"Account {i}",
                "Industry": rnd.choice(INDUSTRIES),
                "BillingCountry": country,
                "AnnualRevenue": round(rnd.uniform(1e5, 5e8), 2),
                "SystemModstamp": _sf_ts(when()),
            }
        )
    for i in range(n_con):
        c = (
            customers[rnd.randrange(n_cust)] if rnd.random() < 0.6 else None
        )  # 60 % match a Snowflake customer
        fn, ln = (c[1], c[2]) if c else (rnd.choice(FIRST), rnd.choice(LAST))
        email = c[3].upper() if c and rnd.random() < 0.3 else (c[3] if c else f"contact{i}@corp.example")
        contacts.append(
            {
                **sf("Contact", i),
                "Id": f"003{i:015d}",
                "AccountId": accounts[rnd.randrange(n_acc)]["Id"],
                "FirstName": fn,
                "LastName": ln,
                "Email": email,
                "Phone": f"+44-20-{i:07d}",
                "SystemModstamp": _sf_ts(when()),
            }
        )
    for i in range(n_opp):
        opps.append(
            {
                **sf("Opportunity", i),
                "Id": f"006{i:015d}",
                "AccountId": accounts[rnd.randrange(n_acc)]["Id"],
                "StageName": rnd.choice(SF_STAGES),
                "Amount": round(rnd.uniform(1e3, 2e6), 2),
                "CurrencyIsoCode": rnd.choice(["USD", "EUR", "GBP"]),
                "CloseDate": (start + dt.timedelta(days=rnd.randrange(days + 60))).isoformat(),
                "SystemModstamp": _sf_ts(when()),
            }
        )
    for i in rnd.sample(range(n_opp), k(20)):
        opps[i]["AccountId"] = None
        defects.add("null_required_field", "sf_opportunities", "quarantine", reason_code="null_value")
    for i in rnd.sample(range(n_con), k(15)):
        contacts[i]["SystemModstamp"] = "not-a-date"
        defects.add("unparseable_date", "sf_contacts", "quarantine", reason_code="invalid_type")
    (src / "salesforce").mkdir(parents=True, exist_ok=True)
    for name, recs in (("Account", accounts), ("Contact", contacts), ("Opportunity", opps)):
        (src / "salesforce" / f"{name}.json").write_text(json.dumps(recs))

    # ---- Kafka (JSON-lines Kafka records; value is the JSON message) -----------------------------
    kafka_dir = src / "kafka" / "events"
    kafka_dir.mkdir(parents=True, exist_ok=True)
    partitions = 3
    offsets = [0] * partitions
    records, sent_events = [], []
    mal = set(rnd.sample(range(n_kafka), k(100)))
    late = set(rnd.sample(sorted(set(range(n_kafka)) - mal), k(300)))
    for i in range(n_kafka):
        part = rnd.randrange(partitions)
        ets = when()
        if i in mal:
            value = rnd.choice(['{"event_id": "broken', "not json at all", '{"event_id": 1,, }', "[1,2"])
            defects.add("malformed_json", "realtime_events", "quarantine", reason_code="malformed_json")
        else:
            if i in late:
                ets -= dt.timedelta(days=rnd.randint(1, 3))
                defects.add(
                    "late_event", "realtime_events", "loaded", note="event_ts days older than its neighbours"
                )
            et = rnd.choice(["cart_add", "cart_remove", "purchase", "refund"])
            cur = rnd.choice(["USD", "EUR", "GBP", "JPY"])
            msg = {
                "event_id": str(uuid.UUID(int=rnd.getrandbits(128))),
                "customer_id": customers[rnd.randrange(n_cust)][0],
                "event_type": et,
                "event_ts": ets.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "amount": round(rnd.uniform(1, 500), 2) if et in ("purchase", "refund") else None,
                "currency": cur,
            }
            value = json.dumps(msg)
            sent_events.append(msg)
        records.append(
            {
                "topic": "lakehouse.events",
                "partition": part,
                "offset": offsets[part],
                "timestamp": _ts(ets),
                "key": None,
                "value": value,
            }
        )
        offsets[part] += 1
    for msg in rnd.sample(sent_events, k(100)):  # at-least-once redelivery: same event, new offset
        part = rnd.randrange(partitions)
        records.append(
            {
                "topic": "lakehouse.events",
                "partition": part,
                "offset": offsets[part],
                "timestamp": msg["event_ts"].replace("T", " ").rstrip("Z"),
                "key": None,
                "value": json.dumps(msg),
            }
        )
        offsets[part] += 1
        defects.add("duplicate_row", "realtime_events", "deduplicated", note="redelivered message")
    for j, chunk in enumerate(_chunks(records, 4)):
        with (kafka_dir / f"part-{j:05d}.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in chunk)

    # ---- S3 landing: ERP CSV, HR JSON, vendor Parquet --------------------------------------------
    landing = out / "landing"
    inv_header = ["invoice_id", "order_id", "invoice_date", "amount", "currency", "status"]
    inv_rows = []
    valid_orders = [o for o in orders if o[0]]
    for i in range(max(30, int(6_000 * scale))):
        o = valid_orders[rnd.randrange(len(valid_orders))]
        inv_rows.append(
            [
                f"INV{i:08d}",
                o[0],
                rnd.choice(dates).isoformat(),
                f"{rnd.uniform(5, 3000):.2f}",
                o[6] if o[6] not in UNKNOWN_CURRENCIES else "USD",
                rnd.choice(["open", "paid", "void"]),
            ]
        )
    ipool = list(range(len(inv_rows)))
    rnd.shuffle(ipool)
    for _ in range(k(20)):
        inv_rows[ipool.pop()][2] = rnd.choice(["2024-02-30", "30.06.2024"])
        defects.add("unparseable_date", "erp_invoices", "quarantine", reason_code="invalid_type")
    for _ in range(k(20)):
        inv_rows[ipool.pop()][3] = rnd.choice(["1.234,56", "12 EUR"])
        defects.add("unparseable_number", "erp_invoices", "quarantine", reason_code="invalid_type")
    chunks = _chunks(inv_rows, 3)
    for j, chunk in enumerate(chunks):
        _write_csv(
            landing / "erp" / f"erp_invoices_{(end_date - dt.timedelta(days=2 - j)):%Y%m%d}.csv",
            inv_header,
            chunk,
        )
    # schema drift: one file with an extra column, one with a missing column (policy: quarantine)
    n_drift = max(5, int(100 * min(scale, 1.0)))
    drift_extra = [
        [f"INVX{i:07d}", valid_orders[i][0], end_date.isoformat(), "10.00", "USD", "open", "5%"]
        for i in range(n_drift)
    ]
    _write_csv(
        landing / "erp" / f"erp_invoices_{end_date:%Y%m%d}_extra.csv", inv_header + ["discount"], drift_extra
    )
    defects.add(
        "schema_drift_extra_column", "erp_invoices", "quarantine", reason_code="schema_drift", n=n_drift
    )
    drift_missing = [
        [f"INVM{i:07d}", valid_orders[i][0], end_date.isoformat(), "10.00", "USD"] for i in range(n_drift)
    ]
    _write_csv(
        landing / "erp" / f"erp_invoices_{end_date:%Y%m%d}_missing.csv", inv_header[:-1], drift_missing
    )
    defects.add(
        "schema_drift_missing_column", "erp_invoices", "quarantine", reason_code="schema_drift", n=n_drift
    )
    (landing / "erp" / "erp_invoices_notes.txt").write_text("exported by hand, do not load\n")
    defects.add(
        "unknown_file",
        "landing",
        "quarantine",
        reason_code="unknown_file",
        note="a file matching no contract pattern is refused whole",
    )

    hr_dir = landing / "hr"
    hr_dir.mkdir(parents=True, exist_ok=True)
    n_hr = max(20, int(1_000 * scale))
    depts = ["Sales", "Finance", "Engineering", "Support", "People"]
    for j in range(2):
        with (hr_dir / f"hr_employees_{end_date - dt.timedelta(days=1 - j):%Y%m%d}.json").open("w") as fh:
            for i in range(j * n_hr // 2, (j + 1) * n_hr // 2):
                fn, ln = rnd.choice(FIRST), rnd.choice(LAST)
                rec = {
                    "employee_id": f"E{i:06d}",
                    "full_name": f"{fn} {ln}",
                    "email": f"e{i}@corp.example",
                    "department": rnd.choice(depts),
                    "region": rnd.choice(list(REGIONS)),
                    "hire_date": (start - dt.timedelta(days=rnd.randrange(3000))).isoformat(),
                }
                if j == 1:  # schema drift, policy add_column: a new attribute appears
                    rec["cost_center"] = f"CC{rnd.randrange(100):03d}"
                fh.write(json.dumps(rec) + "\n")
    defects.add(
        "schema_drift_extra_column",
        "hr_employees",
        "loaded",
        n=n_hr - n_hr // 2,
        note="drift: add_column — bronze gains column cost_center",
    )

    n_vendor = max(20, int(2_000 * scale))
    vendor_rows = [
        (
            f"V{i % 50:04d}",
            f"Vendor {i % 50}",
            rnd.choice(sum(REGIONS.values(), [])),
            products[rnd.randrange(n_prod)][0],
            round(rnd.uniform(1, 500), 2),
            "USD",
        )
        for i in range(n_vendor)
    ]
    vendor_rows = list({(r[0], r[3]): r for r in vendor_rows}.values())
    _write_vendor_parquet(spark, landing / "vendor", vendor_rows, end_date)

    manifest = {
        "seed": seed,
        "scale": scale,
        "start_date": start.isoformat(),
        "end_date": end_date.isoformat(),
        "counts": {
            "customers": len(customers),
            "products": len(products),
            "orders": len(orders),
            "behaviour_events": len(events),
            "sf_accounts": len(accounts),
            "sf_contacts": len(contacts),
            "sf_opportunities": len(opps),
            "erp_invoices": len(inv_rows) + 2 * n_drift,
            "hr_employees": n_hr - n_hr % 2,
            "vendor_catalog": len(vendor_rows),
            "kafka_messages": len(records),
            "fx_rates": len(fx) * len(CURRENCIES),
            "fx_currencies": len(CURRENCIES),
        },
        "defects": defects.as_list(),
    }
    (src / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def _write_vendor_parquet(spark, folder: Path, rows: list[tuple], end_date: dt.date) -> None:
    for j, chunk in enumerate(_chunks(rows, 2)):
        _write_parquet(
            spark, folder / f"vendor_catalog_{end_date - dt.timedelta(days=1 - j):%Y%m%d}.parquet", chunk
        )


def _write_parquet(spark, target: Path, rows: list[tuple]) -> None:
    """One vendor-catalogue Parquet file at ``target``. Parquet needs a writer; Spark is the one every
    environment has (no pyarrow on EMR by default)."""
    from decimal import Decimal

    if spark is None:
        from lakehouse.spark import build_session

        spark = build_session("lakehouse-generator")
    schema = (
        "vendor_id string, vendor_name string, country string, product_id string, "
        "supply_price decimal(18,2), currency string"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f"_tmp_{target.stem}"
    data = [(r[0], r[1], r[2], r[3], Decimal(str(r[4])), r[5]) for r in rows]
    spark.createDataFrame(data, schema).coalesce(1).write.mode("overwrite").parquet(str(tmp))
    next(tmp.glob("part-*.parquet")).rename(target)
    shutil.rmtree(tmp)


def append(out_dir, fraction: float = 0.01, seed: int = 42, batch: int | None = None, *, spark=None) -> dict:
    """New data arriving after the daily run: see ``lakehouse.generator.incremental.append``."""
    from lakehouse.generator.incremental import append as _append

    return _append(out_dir, fraction, seed, batch, spark=spark)


def defect_counts(manifest: dict) -> Counter:
    """(table, reason_code) -> planted rows expected in quarantine at bronze."""
    c: Counter = Counter()
    for d in manifest["defects"]:
        if d["outcome"] == "quarantine" and d["stage"] == "bronze" and d["table"] != "landing":
            c[(d["table"], d["reason_code"])] += d["count"]
    return c


def main(argv: list[str] | None = None) -> int:
    import argparse

    from lakehouse.config import default_lake_dir

    ap = argparse.ArgumentParser(prog="python -m lakehouse.generator", description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(default_lake_dir()), help="lake root (default: the local lake)")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args(argv)
    m = generate(a.out, a.scale, a.seed)
    print(json.dumps(m["counts"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
