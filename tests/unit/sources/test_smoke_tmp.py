import sys, time, datetime as dt
sys.path.insert(0, "/work/main/tests/unit/sources")
from helpers import make_ctx
from lakehouse.generator import generate
from lakehouse import bronze, tables
from lakehouse.sources import redshift
from lakehouse.standins import jdbc

def test_smoke(spark, tmp_lake):
    t=time.time(); m = generate(tmp_lake.lake_root, scale=0.01, seed=1, spark=spark); print("gen", time.time()-t)
    ctx = make_ctx(tmp_lake, spark)
    conn = redshift.local_connection(tmp_lake)
    print("loaded", jdbc.load_events(spark, conn, f"{tmp_lake.lake_root}/_sources/redshift/behaviour_events.csv"))
    for s in ["snowflake", "redshift", "salesforce", "fx_api", "s3_landing", "kafka"]:
        t=time.time()
        kw = {"client_kw": {"sleep": lambda s: None}} if s in ("salesforce","fx_api") else {}
        res = bronze.ingest(ctx, s, **kw)
        for k, a in res.items(): print(s, k, a.to_dict(), round(time.time()-t,1))
    q = tables.read(spark, tmp_lake, "quarantine", "quarantined_rows")
    q.groupBy("source_table","reason_code").sum("occurrences").orderBy("source_table").show(50, False)
    print([d for d in m["defects"] if d["stage"]=="bronze"])
