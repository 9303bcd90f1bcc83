"""Append mode: a batch of NEW source data that arrives after the daily run (what an hourly run picks up).

``append(out_dir, fraction=0.01, seed=42, batch=None)`` adds about ``fraction`` of the generated volume to
every source the ``hourly`` schedule extracts, as each source system would show it:

* Snowflake: a new CSV part per table (``append-<batch>.csv``) with new orders and customers plus newer
  versions of existing orders, customers and products (``updated_at`` inside the batch window);
* Redshift: ``behaviour_events_append_<batch>.csv`` with new events (``loaded_at`` inside the window; the
  caller inserts them into the JDBC stand-in: ``lakehouse.demo.append_sources``);
* Salesforce: the object files rewritten with new records and newer versions of existing ones (an org has
  one record per Id; ``SystemModstamp`` inside the window);
* Kafka: a new file ``append-<batch>.jsonl`` whose offsets continue every partition;
* FX: rates for every date up to the window's date that the feed did not publish yet;
* landing: new ERP CSV, HR JSON and vendor Parquet files (new names: the landing ledger has not seen them);
* identity merges: about 10 % as many as new customers, of two kinds — a new customer takes the email of a
  Salesforce contact no customer matched (the lead became a customer), and a contact no customer matched
  is updated to an existing customer's email (linked). Either way that contact's Salesforce-only customer
  ``sf:<contact>`` must leave silver and gold (listed in the manifest's ``identity_merges``).

Batch ``b`` covers the hour ``[end_date + 1 day + b h, + 1 h)``: later than every timestamp the base data
holds (Redshift ``loaded_at`` runs up to 30 minutes past ``end_date``), so the watermarks a daily run set
let exactly these rows through. New keys continue after the highest key the source holds; rows are valid
(no planted defects). Each batch is recorded in ``_sources/appends.json`` (rows per bronze table, the keys
that were added or changed, the files written); the same seed and batch number give the same files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
import uuid
from decimal import Decimal
from pathlib import Path

from lakehouse.generator import (
    COUNTRY_CCY,
    CURRENCIES,
    FIRST,
    INDUSTRIES,
    LAST,
    ORDER_STATUSES,
    REGIONS,
    SF_STAGES,
    _sf_ts,
    _ts,
    _write_csv,
    _write_parquet,
)

APPENDS_FILE = "appends.json"
_TS_FMT = "%Y-%m-%d %H:%M:%S"
_SF_FMT = "%Y-%m-%dT%H:%M:%S.%f%z"
_PRICE = re.compile(r"^\d+\.\d{2}$")
# emails the generator gives Salesforce contacts that match no customer (base and append mode)
_SF_ONLY_EMAIL = re.compile(r"^contact\d+@corp\.example$")
_CUSTOMER_EMAIL = re.compile(r"^[a-z.]+\d+@example\.com$")
MERGE_SHARE = 0.1  # of the new customers: how many identity merges of each kind a batch plants


def _read_csv_rows(folder: Path, pattern: str = "*.csv") -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for p in sorted(folder.glob(pattern)):
        with p.open(newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def _parse_ts(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value or "", _TS_FMT)
    except ValueError:
        return None


def _sf_time(value) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value, _SF_FMT).replace(tzinfo=None)
    except (TypeError, ValueError):
        return None


def _latest(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    """The latest version per key (by updated_at), keys in sorted order (deterministic sampling)."""
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        k = r.get(key) or ""
        if k and (k not in out or (r.get("updated_at") or "") > (out[k].get("updated_at") or "")):
            out[k] = r
    return dict(sorted(out.items()))


def _next_number(keys, pattern: str) -> int:
    """1 + the highest number of the keys matching ``pattern`` (one group of digits)."""
    rx = re.compile(pattern)
    nums = [int(m.group(1)) for k in keys if k and (m := rx.fullmatch(k))]
    return max(nums, default=-1) + 1


def _n(fraction: float, base: int, minimum: int = 1) -> int:
    return max(minimum, round(fraction * base))


def _split(total: int, new_share: float) -> tuple[int, int]:
    """(new, updated) for ``total`` rows, at least one of each when total >= 2."""
    new = min(total - 1, max(1, round(total * new_share))) if total >= 2 else total
    return new, total - new


def load_appends(out_dir) -> list[dict]:
    p = Path(out_dir) / "_sources" / APPENDS_FILE
    return json.loads(p.read_text())["batches"] if p.is_file() else []


def batch_window(end_date: dt.date, batch: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time()) + dt.timedelta(hours=batch)
    return start, start + dt.timedelta(hours=1)


def append(out_dir, fraction: float = 0.01, seed: int = 42, batch: int | None = None, *, spark=None) -> dict:
    """Write batch ``batch`` (default: the next one) of new source data under ``out_dir``; returns its
    manifest (also appended to ``_sources/appends.json``)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    out = Path(out_dir)
    src = out / "_sources"
    manifest_path = src / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{manifest_path} not found: generate the base data first")
    base = json.loads(manifest_path.read_text())
    done = load_appends(out)
    batch = batch if batch is not None else len(done) + 1
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    if any(b["batch"] == batch for b in done):
        raise ValueError(f"batch {batch} was already appended under {src} (see {APPENDS_FILE})")
    if done and batch < max(b["batch"] for b in done):
        raise ValueError(f"batch {batch} would lie before batch {max(b['batch'] for b in done)}")
    end_date = dt.date.fromisoformat(base["end_date"])
    w_start, w_end = batch_window(end_date, batch)
    rnd = random.Random(seed * 1_000_003 + batch)
    counts: dict[str, int] = {}
    keys: dict[str, dict] = {}
    files: list[str] = []
    tag = f"{batch:05d}"

    def at(lo: dt.datetime = w_start) -> dt.datetime:
        return lo + dt.timedelta(seconds=rnd.randrange(max(1, int((w_end - lo).total_seconds()))))

    def rel(p: Path) -> str:
        files.append(p.relative_to(out).as_posix())
        return files[-1]

    bc = base["counts"]

    # ---- Snowflake -------------------------------------------------------------------------------
    sf_dir = src / "snowflake"
    cust_rows = _read_csv_rows(sf_dir / "customers")
    cust_header = list(cust_rows[0].keys())
    customers = _latest(cust_rows, "customer_id")
    prod_rows = _read_csv_rows(sf_dir / "products")
    prod_header = list(prod_rows[0].keys())
    products = _latest(prod_rows, "product_id")
    order_rows = _read_csv_rows(sf_dir / "orders")
    order_header = list(order_rows[0].keys())
    rs_dir = src / "redshift"
    ev_rows = _read_csv_rows(rs_dir, "behaviour_events*.csv")
    ev_header = list(ev_rows[0].keys())
    sfc = src / "salesforce"
    objs = {
        name: json.loads((sfc / f"{name}.json").read_text()) for name in ("Account", "Contact", "Opportunity")
    }
    # the window must lie after every watermark-column value the sources hold (checked before any write)
    seen = [_parse_ts(r.get("updated_at")) for r in cust_rows + prod_rows + order_rows]
    seen += [_parse_ts(r.get("loaded_at")) for r in ev_rows]
    seen += [_sf_time(r.get("SystemModstamp")) for recs in objs.values() for r in recs]
    latest = max((t for t in seen if t is not None), default=None)
    if latest is not None and latest >= w_start:
        raise ValueError(
            f"batch {batch}: the sources already hold data at {latest}, not before the batch window "
            f"{w_start}: the new rows would not be past the watermarks"
        )
    del seen

    def order_ok(r: dict[str, str]) -> bool:
        try:
            qty = int(r["quantity"])
        except (TypeError, ValueError):
            return False
        return (
            bool(re.fullmatch(r"O\d{8}", r["order_id"] or ""))
            and r["customer_id"] in customers
            and r["product_id"] in products
            and _parse_ts(r["order_ts"]) is not None
            and _parse_ts(r["updated_at"]) is not None
            and qty >= 1
            and bool(_PRICE.match(r["unit_price"] or ""))
            and r["currency"] in CURRENCIES
            and r["status"] in ORDER_STATUSES
        )

    bad_orders = {r["order_id"] for r in order_rows if not order_ok(r)}
    orders = {k: r for k, r in _latest(order_rows, "order_id").items() if k not in bad_orders}

    n_cust_new, n_cust_upd = _split(_n(fraction, bc["customers"], 2), 0.5)
    next_c = _next_number(customers, r"C(\d{7})")
    new_customers = []
    for i in range(next_c, next_c + n_cust_new):
        region = rnd.choice(list(REGIONS))
        country = rnd.choice(REGIONS[region])
        fn, ln = rnd.choice(FIRST), rnd.choice(LAST)
        ts = _ts(at())
        new_customers.append(
            {
                "customer_id": f"C{i:07d}",
                "first_name": fn,
                "last_name": ln,
                "email": f"{fn.lower()}.{ln.lower()}{i}@example.com".replace("ü", "u"),
                "phone": f"+1-555-{i % 10_000:04d}",
                "country": country,
                "region": region,
                "segment": rnd.choice(["consumer", "smb", "enterprise"]),
                "created_at": ts,
                "updated_at": ts,
            }
        )
    # Identity merges (planted): a Salesforce-only contact becomes a customer (a new customer takes its
    # email), and an updated contact is linked to an existing customer (takes that customer's email). Each
    # contact's Salesforce-only conformed row sf:<contact> must then leave silver, and gold close it.
    taken = {(c.get("email") or "").strip().lower() for c in customers.values()}
    sf_only = sorted(
        r["Id"]
        for r in objs["Contact"]
        if _SF_ONLY_EMAIL.match(r.get("Email") or "")
        and r["Email"] not in taken
        and _sf_time(r.get("SystemModstamp"))
    )
    n_merge = min(max(1, round(n_cust_new * MERGE_SHARE)), len(sf_only) // 2)
    merging = rnd.sample(sf_only, 2 * n_merge)
    contact_email = {r["Id"]: r["Email"] for r in objs["Contact"]}
    identity_merges = []
    for c, contact in zip(new_customers, merging[:n_merge]):
        c["email"] = contact_email[contact]
        identity_merges.append({"contact_id": contact, "into": c["customer_id"], "how": "became_customer"})
    in_contacts = {(r.get("Email") or "").strip().lower() for r in objs["Contact"]}
    linkable = sorted(
        cid
        for cid, c in customers.items()
        if re.fullmatch(r"C\d{7}", cid)
        and _CUSTOMER_EMAIL.match(c.get("email") or "")
        and c["email"] not in in_contacts
    )
    link_to = dict(zip(merging[n_merge:], rnd.sample(linkable, min(n_merge, len(linkable)))))
    for contact, cid in link_to.items():
        identity_merges.append({"contact_id": contact, "into": cid, "how": "linked_to_customer"})

    upd_customers = []
    for cid in rnd.sample(sorted(customers), min(n_cust_upd, len(customers))):
        c = dict(customers[cid])
        c["segment"] = rnd.choice([s for s in ("consumer", "smb", "enterprise") if s != c["segment"]])
        c["phone"] = f"+1-556-{rnd.randrange(10_000):04d}"
        c["updated_at"] = _ts(at())
        upd_customers.append(c)

    upd_products = []
    for pid in rnd.sample(sorted(products), min(_n(fraction, bc["products"]), len(products))):
        p = dict(products[pid])
        p["list_price"] = f"{Decimal(p['list_price']) * Decimal(rnd.choice(['0.9', '1.05', '1.1'])):.2f}"
        p["updated_at"] = _ts(at())
        upd_products.append(p)
    all_products = {**products, **{p["product_id"]: p for p in upd_products}}
    all_customers = {**customers, **{c["customer_id"]: c for c in new_customers + upd_customers}}
    cust_ids, prod_ids = sorted(all_customers), sorted(all_products)

    n_ord_new, n_ord_upd = _split(_n(fraction, bc["orders"], 2), 0.8)
    next_o = _next_number([r["order_id"] for r in order_rows], r"O(\d{8})")
    new_orders = []
    for i in range(next_o, next_o + n_ord_new):
        c = all_customers[rnd.choice(cust_ids)]
        p = all_products[rnd.choice(prod_ids)]
        ots = at()
        new_orders.append(
            {
                "order_id": f"O{i:08d}",
                "customer_id": c["customer_id"],
                "product_id": p["product_id"],
                "order_ts": _ts(ots),
                "quantity": str(rnd.randint(1, 5)),
                "unit_price": p["list_price"],
                "currency": COUNTRY_CCY[c["country"]],
                "status": "placed",
                "updated_at": _ts(at(ots)),
            }
        )
    upd_orders = []
    for oid in rnd.sample(sorted(orders), min(n_ord_upd, len(orders))):
        o = dict(orders[oid])
        o["status"] = rnd.choice([s for s in ORDER_STATUSES if s != o["status"]])
        o["updated_at"] = _ts(at())
        upd_orders.append(o)

    for table, header, rows in (
        ("customers", cust_header, new_customers + upd_customers),
        ("products", prod_header, upd_products),
        ("orders", order_header, new_orders + upd_orders),
    ):
        path = sf_dir / table / f"append-{tag}.csv"
        _write_csv(path, header, [[r[h] for h in header] for r in rows])
        rel(path)
        counts[table] = len(rows)
    keys["customers"] = {
        "new": [c["customer_id"] for c in new_customers],
        "updated": [c["customer_id"] for c in upd_customers],
    }
    keys["products"] = {"new": [], "updated": [p["product_id"] for p in upd_products]}
    keys["orders"] = {
        "new": [o["order_id"] for o in new_orders],
        "updated": [o["order_id"] for o in upd_orders],
    }

    # ---- Redshift: behaviour events -------------------------------------------------------------
    events = []
    for _ in range(_n(fraction, bc["behaviour_events"])):
        loaded = at()
        events.append(
            {
                "event_id": str(uuid.UUID(int=rnd.getrandbits(128))),
                "customer_id": rnd.choice(cust_ids),
                "event_type": rnd.choice(["page_view", "add_to_cart", "checkout", "search", "login"]),
                "event_ts": _ts(loaded - dt.timedelta(minutes=rnd.randint(1, 30))),
                "page": rnd.choice(["/", "/cart", "/checkout", "/p/1", "/search"]),
                "session_id": f"S{rnd.randrange(10**7):07d}",
                "device": rnd.choice(["desktop", "mobile", "tablet"]),
                "loaded_at": _ts(loaded),
            }
        )
    path = rs_dir / f"behaviour_events_append_{tag}.csv"
    _write_csv(path, ev_header, [[e[h] for h in ev_header] for e in events])
    rel(path)
    counts["behaviour_events"] = len(events)
    keys["behaviour_events"] = {"new": [e["event_id"] for e in events], "updated": []}

    # ---- Salesforce: new records and newer versions, one record per Id -----------------------------
    valid_accounts = sorted(r["Id"] for r in objs["Account"] if _sf_time(r.get("SystemModstamp")))
    for name, table, prefix, base_n in (
        ("Account", "sf_accounts", "001", bc["sf_accounts"]),
        ("Contact", "sf_contacts", "003", bc["sf_contacts"]),
        ("Opportunity", "sf_opportunities", "006", bc["sf_opportunities"]),
    ):
        recs = objs[name]
        n_new, n_upd = _split(_n(fraction, base_n, 2), 0.5)
        ok = [
            i
            for i, r in enumerate(recs)
            if _sf_time(r.get("SystemModstamp"))
            and (name != "Opportunity" or r.get("AccountId"))
            and r["Id"] not in link_to
        ]
        upd_ids = []
        if name == "Contact":  # the planted links: the contact takes its customer's email
            for i, r in enumerate(recs):
                if r["Id"] in link_to:
                    recs[i] = {
                        **r,
                        "Email": customers[link_to[r["Id"]]]["email"],
                        "SystemModstamp": _sf_ts(at()),
                    }
                    upd_ids.append(r["Id"])
        for i in sorted(rnd.sample(ok, min(n_upd, len(ok)))):
            r = dict(recs[i])
            if name == "Account":
                r["AnnualRevenue"] = round(rnd.uniform(1e5, 5e8), 2)
                r["Industry"] = rnd.choice([x for x in INDUSTRIES if x and x != r.get("Industry")])
            elif name == "Contact":
                r["Phone"] = f"+44-20-{rnd.randrange(10**7):07d}"
            else:
                r["StageName"] = rnd.choice([s for s in SF_STAGES if s != r.get("StageName")])
                r["Amount"] = round(rnd.uniform(1e3, 2e6), 2)
            r["SystemModstamp"] = _sf_ts(at())
            recs[i] = r
            upd_ids.append(r["Id"])
        nxt = _next_number([r["Id"] for r in recs], prefix + r"(\d{15})")
        new_ids = []
        for i in range(nxt, nxt + n_new):
            rec = {
                "attributes": {"type": name, "url": f"/services/data/v59.0/sobjects/{name}/{i}"},
                "Id": f"{prefix}{i:015d}",
            }
            if name == "Account":
                rec |= {
                    "Name": f"Account {i}",
                    "Industry": rnd.choice([x for x in INDUSTRIES if x]),
                    "BillingCountry": rnd.choice(sum(REGIONS.values(), [])),
                    "AnnualRevenue": round(rnd.uniform(1e5, 5e8), 2),
                }
                valid_accounts.append(rec["Id"])
            elif name == "Contact":
                fn, ln = rnd.choice(FIRST), rnd.choice(LAST)
                rec |= {
                    "AccountId": rnd.choice(valid_accounts),
                    "FirstName": fn,
                    "LastName": ln,
                    "Email": f"contact{i}@corp.example",
                    "Phone": f"+44-20-{i:07d}",
                }
            else:
                rec |= {
                    "AccountId": rnd.choice(valid_accounts),
                    "StageName": rnd.choice(SF_STAGES),
                    "Amount": round(rnd.uniform(1e3, 2e6), 2),
                    "CurrencyIsoCode": rnd.choice(["USD", "EUR", "GBP"]),
                    "CloseDate": (w_start.date() + dt.timedelta(days=rnd.randrange(90))).isoformat(),
                }
            rec["SystemModstamp"] = _sf_ts(at())
            recs.append(rec)
            new_ids.append(rec["Id"])
        path = sfc / f"{name}.json"
        path.write_text(json.dumps(recs))
        rel(path)
        counts[table] = len(new_ids) + len(upd_ids)
        keys[table] = {"new": new_ids, "updated": upd_ids}

    # ---- Kafka: a new file, offsets continue per partition ----------------------------------------
    kdir = src / "kafka" / "events"
    offsets: dict[int, int] = {}
    for p in sorted(kdir.glob("*.jsonl")):
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                offsets[r["partition"]] = max(offsets.get(r["partition"], -1), int(r["offset"]))
    partitions = max(3, len(offsets))
    next_off = [offsets.get(i, -1) + 1 for i in range(partitions)]
    records, kafka_ids = [], []
    for _ in range(_n(fraction, bc["kafka_messages"])):
        part = rnd.randrange(partitions)
        ets = at()
        et = rnd.choice(["cart_add", "cart_remove", "purchase", "refund"])
        msg = {
            "event_id": str(uuid.UUID(int=rnd.getrandbits(128))),
            "customer_id": rnd.choice(cust_ids),
            "event_type": et,
            "event_ts": ets.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "amount": round(rnd.uniform(1, 500), 2) if et in ("purchase", "refund") else None,
            "currency": rnd.choice(["USD", "EUR", "GBP", "JPY"]),
        }
        records.append(
            {
                "topic": "lakehouse.events",
                "partition": part,
                "offset": next_off[part],
                "timestamp": _ts(ets),
                "key": None,
                "value": json.dumps(msg),
            }
        )
        next_off[part] += 1
        kafka_ids.append(msg["event_id"])
    path = kdir / f"append-{tag}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    rel(path)
    counts["realtime_events"] = len(records)
    keys["realtime_events"] = {"new": kafka_ids, "updated": []}

    # ---- FX: the dates up to the window's date the feed has not published yet ---------------------
    fx_path = src / "fx_api" / "rates.json"
    fx = json.loads(fx_path.read_text())
    last = max(dt.date.fromisoformat(d) for d in fx)
    level = dict(fx[last.isoformat()])
    new_dates = []
    d = last + dt.timedelta(days=1)
    while d <= w_start.date():
        for c in level:
            if c != "USD":
                level[c] = round(level[c] * (1 + rnd.uniform(-0.005, 0.005)), 8)
        fx[d.isoformat()] = dict(level)
        new_dates.append(d.isoformat())
        d += dt.timedelta(days=1)
    if new_dates:
        fx_path.write_text(json.dumps(fx, sort_keys=True))
        rel(fx_path)
    counts["fx_rates"] = len(new_dates) * len(level)
    keys["fx_rates"] = {"new": new_dates, "updated": []}

    # ---- S3 landing: new files -------------------------------------------------------------------
    landing = out / "landing"
    day = w_start.date().strftime("%Y%m%d")
    inv_header = ["invoice_id", "order_id", "invoice_date", "amount", "currency", "status"]
    next_inv = _next_number(
        [r.get("invoice_id") for r in _read_csv_rows(landing / "erp", "erp_invoices_*.csv")], r"INV(\d{8})"
    )
    invoiced = new_orders + upd_orders
    inv = []
    for i in range(next_inv, next_inv + _n(fraction, bc["erp_invoices"])):
        o = invoiced[rnd.randrange(len(invoiced))]
        inv.append(
            [
                f"INV{i:08d}",
                o["order_id"],
                w_start.date().isoformat(),
                f"{Decimal(o['unit_price']) * int(o['quantity']):.2f}",
                o["currency"],
                rnd.choice(["open", "paid"]),
            ]
        )
    path = landing / "erp" / f"erp_invoices_{day}_{tag}.csv"
    _write_csv(path, inv_header, inv)
    rel(path)
    counts["erp_invoices"] = len(inv)
    keys["erp_invoices"] = {"new": [r[0] for r in inv], "updated": []}

    employees: dict[str, dict] = {}
    for p in sorted((landing / "hr").glob("hr_employees_*.json")):
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                employees[r["employee_id"]] = r
    employees = dict(sorted(employees.items()))
    n_new, n_upd = _split(_n(fraction, bc["hr_employees"], 2), 0.5)
    depts = ["Sales", "Finance", "Engineering", "Support", "People"]
    next_e = _next_number(employees, r"E(\d{6})")
    hr = []
    for i in range(next_e, next_e + n_new):
        fn, ln = rnd.choice(FIRST), rnd.choice(LAST)
        hr.append(
            {
                "employee_id": f"E{i:06d}",
                "full_name": f"{fn} {ln}",
                "email": f"e{i}@corp.example",
                "department": rnd.choice(depts),
                "region": rnd.choice(list(REGIONS)),
                "hire_date": w_start.date().isoformat(),
                "cost_center": f"CC{rnd.randrange(100):03d}",
            }
        )
    hr_upd = []
    for eid in rnd.sample(sorted(employees), min(n_upd, len(employees))):
        e = {**employees[eid], "cost_center": f"CC{rnd.randrange(100):03d}"}
        e["department"] = rnd.choice([x for x in depts if x != e.get("department")])
        hr_upd.append(e)
    path = landing / "hr" / f"hr_employees_{day}_{tag}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in hr + hr_upd)
    rel(path)
    counts["hr_employees"] = len(hr) + len(hr_upd)
    keys["hr_employees"] = {
        "new": [e["employee_id"] for e in hr],
        "updated": [e["employee_id"] for e in hr_upd],
    }

    # vendor catalogue: new (vendor, product) offers and new prices of existing ones; one row per pair
    pairs: dict[tuple[str, str], tuple] = {}
    for _ in range(_n(fraction, bc["vendor_catalog"])):
        v = rnd.randrange(50)
        pid = rnd.choice(prod_ids)
        pairs[(f"V{v:04d}", pid)] = (
            f"V{v:04d}",
            f"Vendor {v}",
            rnd.choice(sum(REGIONS.values(), [])),
            pid,
            round(rnd.uniform(1, 500), 2),
            "USD",
        )
    path = landing / "vendor" / f"vendor_catalog_{day}_{tag}.parquet"
    _write_parquet(spark, path, sorted(pairs.values()))
    rel(path)
    counts["vendor_catalog"] = len(pairs)
    keys["vendor_catalog"] = {"new_or_updated": [list(k) for k in sorted(pairs)]}

    record = {
        "batch": batch,
        "seed": seed,
        "fraction": fraction,
        "window_start": _ts(w_start),
        "window_end": _ts(w_end),
        # the date an hourly run in this window runs for (the FX feed is read up to it)
        "execution_date": w_start.date().isoformat(),
        "counts": dict(sorted(counts.items())),
        "total_rows": sum(counts.values()),
        "keys": keys,
        # contacts whose Salesforce-only customer sf:<contact_id> this batch merges into customer "into"
        "identity_merges": identity_merges,
        "files": files,
        "defects": [],  # nothing planted: every row should reach silver
    }
    (src / APPENDS_FILE).write_text(json.dumps({"batches": [*done, record]}, indent=1))
    return record
