"""The generator's append mode: a batch of new source data after the daily run — deterministic for a seed,
new keys that collide with none the sources hold, timestamps past every watermark a daily run can have
set, new files (new landing names, new Kafka offsets), and a manifest that counts every row."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def base(spark, tmp_path_factory) -> Path:
    from lakehouse.generator import generate

    root = tmp_path_factory.mktemp("gen-base") / "lake"
    generate(root, scale=0.001, seed=3, spark=spark)
    return root


@pytest.fixture
def lake(base, tmp_path) -> Path:
    """A private copy of the generated base data."""
    root = tmp_path / "lake"
    shutil.copytree(base, root)
    return root


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def csv_rows(paths) -> list[dict[str, str]]:
    out = []
    for p in paths:
        with open(p, newline="", encoding="utf-8") as fh:
            out += list(csv.DictReader(fh))
    return out


def jsonl(paths) -> list[dict]:
    return [json.loads(line) for p in paths for line in Path(p).read_text().splitlines() if line.strip()]


def message(value: str) -> dict | None:
    """A Kafka record's JSON value (None for the planted malformed ones)."""
    try:
        m = json.loads(value)
    except json.JSONDecodeError:
        return None
    return m if isinstance(m, dict) else None


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("T", " ").replace(".000+0000", ""))


def test_same_seed_and_batch_give_the_same_files_and_another_seed_does_not(spark, base, tmp_path):
    from lakehouse.generator import append

    made = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        root = tmp_path / name
        shutil.copytree(base, root)
        record = append(root, fraction=0.05, seed=seed, spark=spark)
        text = {f: b for f, b in files_of(root).items() if not f.endswith((".parquet", ".crc"))}
        made.append((record, text))
    assert made[0] == made[1]
    assert made[0][0]["keys"] != made[2][0]["keys"]


def test_appended_keys_are_new_and_the_manifest_counts_every_row(spark, lake):
    from lakehouse.generator import append

    src = lake / "_sources"
    before = {
        "orders": {r["order_id"] for r in csv_rows((src / "snowflake" / "orders").glob("*.csv"))},
        "customers": {r["customer_id"] for r in csv_rows((src / "snowflake" / "customers").glob("*.csv"))},
        "behaviour_events": {r["event_id"] for r in csv_rows([src / "redshift" / "behaviour_events.csv"])},
        "erp_invoices": {r["invoice_id"] for r in csv_rows((lake / "landing" / "erp").glob("*.csv"))},
        "hr_employees": {r["employee_id"] for r in jsonl((lake / "landing" / "hr").glob("*.json"))},
    }
    for table, obj in (
        ("sf_accounts", "Account"),
        ("sf_contacts", "Contact"),
        ("sf_opportunities", "Opportunity"),
    ):
        before[table] = {r["Id"] for r in json.loads((src / "salesforce" / f"{obj}.json").read_text())}
    kafka_before = jsonl((src / "kafka" / "events").glob("*.jsonl"))
    before["realtime_events"] = {m["event_id"] for r in kafka_before if (m := message(r["value"]))}

    first = append(lake, fraction=0.05, seed=1, spark=spark)
    second = append(lake, fraction=0.05, seed=1, spark=spark)
    assert (first["batch"], second["batch"]) == (1, 2)
    assert second["window_start"] == first["window_end"]
    for record in (first, second):
        assert record["defects"] == []
        for table, k in record["keys"].items():
            if table in before:
                assert k["new"] and not set(k["new"]) & before[table], table  # no collision
                assert set(k["updated"]) <= before[table], table  # updates are of existing keys
                before[table] |= set(k["new"])  # batch 2 must not reuse batch 1's keys either
        n_keys = {t: len(k["new"]) + len(k["updated"]) for t, k in record["keys"].items() if "new" in k}
        n_keys["fx_rates"] = len(record["keys"]["fx_rates"]["new"]) * 25  # dates x currencies
        n_keys["vendor_catalog"] = len(record["keys"]["vendor_catalog"]["new_or_updated"])
        assert record["counts"] == n_keys
        assert record["total_rows"] == sum(record["counts"].values())

    # identity merges: each contact now shares its email with the customer it merged into, and no two
    # merges reuse a contact
    contacts = {r["Id"]: r for r in json.loads((src / "salesforce" / "Contact.json").read_text())}
    emails = {}
    for r in csv_rows((src / "snowflake" / "customers").glob("*.csv")):
        emails[r["customer_id"]] = r["email"]  # an update never changes a customer's email
    merges = first["identity_merges"] + second["identity_merges"]
    assert {m["how"] for m in merges} == {"became_customer", "linked_to_customer"}
    assert len({m["contact_id"] for m in merges}) == len(merges)
    for m in merges:
        assert contacts[m["contact_id"]]["Email"].lower() == emails[m["into"]].lower(), m
        if m["how"] == "became_customer":
            assert m["into"] in first["keys"]["customers"]["new"] + second["keys"]["customers"]["new"]
        else:
            assert (
                m["contact_id"]
                in first["keys"]["sf_contacts"]["updated"] + second["keys"]["sf_contacts"]["updated"]
            )

    # Kafka: a new file whose offsets continue each partition
    def top(records):
        out: dict[int, int] = {}
        for r in records:
            out[r["partition"]] = max(out.get(r["partition"], -1), r["offset"])
        return out

    old_top = top(kafka_before)
    new = jsonl([lake / f for f in first["files"] if f.endswith(".jsonl")])
    assert len(new) == first["counts"]["realtime_events"]
    assert all(r["offset"] > old_top.get(r["partition"], -1) for r in new)
    pairs = [(r["partition"], r["offset"]) for r in new]
    assert len(set(pairs)) == len(pairs)

    with pytest.raises(ValueError, match="already appended"):
        append(lake, fraction=0.05, seed=1, batch=2, spark=spark)


def test_appended_rows_are_past_every_watermark_a_daily_run_set_and_land_in_new_files(spark, lake):
    from lakehouse.generator import append

    src = lake / "_sources"
    old_files = files_of(lake)
    watermark = {  # the highest watermark-column value the base data holds = the daily run's watermark
        t: max(
            ts(r["updated_at"])
            for r in csv_rows((src / "snowflake" / t).glob("*.csv"))
            if r["updated_at"][:1] == "2"
        )
        for t in ("orders", "customers", "products")
    }
    watermark["behaviour_events"] = max(
        ts(r["loaded_at"]) for r in csv_rows([src / "redshift" / "behaviour_events.csv"])
    )
    sf = {
        o: json.loads((src / "salesforce" / f"{o}.json").read_text())
        for o in ("Account", "Contact", "Opportunity")
    }
    sf_wm = max(
        ts(r["SystemModstamp"]) for recs in sf.values() for r in recs if r["SystemModstamp"][:1] == "2"
    )
    fx_last = max(json.loads((src / "fx_api" / "rates.json").read_text()))

    record = append(lake, fraction=0.05, seed=2, spark=spark)
    window = ts(record["window_start"]), ts(record["window_end"])
    assert window[0] > max([*watermark.values(), sf_wm])

    def added(sub: str) -> list[Path]:
        return [lake / f for f in record["files"] if f.startswith(sub)]

    for t in ("orders", "customers", "products"):
        rows = csv_rows(added(f"_sources/snowflake/{t}/"))
        assert len(rows) == record["counts"][t]
        assert all(window[0] <= ts(r["updated_at"]) < window[1] for r in rows), t
    events = csv_rows(added("_sources/redshift/"))
    assert len(events) == record["counts"]["behaviour_events"]
    assert all(window[0] <= ts(e["loaded_at"]) < window[1] for e in events)
    # Salesforce: exactly the appended records are past the old SystemModstamp watermark
    for table, obj in (
        ("sf_accounts", "Account"),
        ("sf_contacts", "Contact"),
        ("sf_opportunities", "Opportunity"),
    ):
        recs = json.loads((src / "salesforce" / f"{obj}.json").read_text())
        later = [r for r in recs if r["SystemModstamp"][:1] == "2" and ts(r["SystemModstamp"]) > sf_wm]
        assert len(later) == record["counts"][table]
        assert len({r["Id"] for r in recs}) == len(recs)  # one record per Id, as in an org
    # FX: the window's date is published, with every currency
    rates = json.loads((src / "fx_api" / "rates.json").read_text())
    assert (
        record["keys"]["fx_rates"]["new"] == [window[0].date().isoformat()]
        and window[0].date().isoformat() > fx_last
    )
    assert record["counts"]["fx_rates"] == len(rates[window[0].date().isoformat()])

    # landing, Kafka, Snowflake, Redshift: only new files; only the two serving files changed in place
    landing = [f for f in record["files"] if f.startswith("landing/")]
    assert {f.split("/")[1] for f in landing} == {"erp", "hr", "vendor"}
    changed = {f for f in record["files"] if f in old_files}
    assert changed == {f"_sources/salesforce/{o}.json" for o in sf} | {"_sources/fx_api/rates.json"}
    assert all(files_of(lake)[f] == b for f, b in old_files.items() if f not in changed)
    inv = csv_rows(added("landing/erp/"))
    assert len(inv) == record["counts"]["erp_invoices"]
    assert all(r["invoice_date"] == window[0].date().isoformat() for r in inv)
    vendor = spark.read.parquet(str(added("landing/vendor/")[0]))
    assert vendor.count() == record["counts"]["vendor_catalog"]
