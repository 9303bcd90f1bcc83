"""The Redshift extractor against a real PostgreSQL on 127.0.0.1 (initdb + pg_ctl into a tmp dir)."""

import datetime as dt
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from lakehouse.sources import redshift
from lakehouse.standins import jdbc

PG_BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN} (.ci/run installs postgresql-15)")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser: initdb refuses root")
    # Not under pytest's tmp dir: that is 0700 root, and the server may have to run as 'nobody'.
    data = Path(tempfile.mkdtemp(prefix="lakehouse-pg-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pre = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as 'nobody' in its own dir
        os.chmod(data, 0o777)
        pre = ["runuser", "-u", "nobody", "--"]
    pwfile = data / "pw"
    pwfile.write_text("test-only-password\n")
    os.chmod(pwfile, 0o644)
    subprocess.run(
        [
            *pre,
            str(PG_BIN / "initdb"),
            "-D",
            str(data / "db"),
            "-U",
            "lake",
            "--pwfile",
            str(pwfile),
            "-A",
            "scram-sha-256",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *pre,
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data / "db"),
            "-l",
            str(data / "log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {data}",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield {
            "url": f"jdbc:postgresql://127.0.0.1:{port}/postgres",
            "user": "lake",
            "password": "test-only-password",
            "driver": "org.postgresql.Driver",
        }
    finally:
        subprocess.run(
            [*pre, str(PG_BIN / "pg_ctl"), "-D", str(data / "db"), "-m", "fast", "stop"], capture_output=True
        )
        shutil.rmtree(data, ignore_errors=True)


def test_redshift_jdbc_incremental_against_postgres(spark, tmp_lake, postgres, tmp_path):
    base = dt.datetime(2024, 6, 1, 10)
    csv = tmp_path / "ev.csv"
    lines = ["event_id,customer_id,event_type,event_ts,page,session_id,device,loaded_at"]
    for i in range(6):  # i=5 is a late event: old event_ts, newest loaded_at
        ets = base - dt.timedelta(days=3) if i == 5 else base + dt.timedelta(minutes=i)
        lines.append(
            f"E{i},C1,login,{ets:%Y-%m-%d %H:%M:%S},/,S1,mobile,{base + dt.timedelta(minutes=10 + i):%Y-%m-%d %H:%M:%S}"
        )
    csv.write_text("\n".join(lines) + "\n")
    assert jdbc.load_events(spark, postgres, csv) == 6
    first = redshift.extract(tmp_lake, spark, dt.date(2024, 6, 1), {}, conn=postgres, num_partitions=3)[
        "behaviour_events"
    ]
    assert first.df.count() == 6 and first.new_watermark == "2024-06-01 10:15:00"
    jdbc.append_events(
        spark, postgres, [("E6", "C1", "login", base, "/", "S1", "mobile", base + dt.timedelta(minutes=20))]
    )
    second = redshift.extract(
        tmp_lake, spark, dt.date(2024, 6, 1), {"behaviour_events": first.new_watermark}, conn=postgres
    )["behaviour_events"]
    assert [r.event_id for r in second.df.collect()] == ["E6"]  # no gap, nothing read twice
    third = redshift.extract(
        tmp_lake, spark, dt.date(2024, 6, 1), {"behaviour_events": second.new_watermark}, conn=postgres
    )["behaviour_events"]
    assert third.source_rows == 0 and third.df.count() == 0 and third.new_watermark == second.new_watermark


def test_unreachable_database_names_the_source(spark, tmp_lake):
    conn = {
        "url": "jdbc:postgresql://127.0.0.1:9/x",
        "user": "u",
        "password": "p",
        "driver": "org.postgresql.Driver",
    }
    with pytest.raises(
        ConnectionError,
        match="redshift: cannot query analytics.behaviour_events at jdbc:postgresql://127.0.0.1:9/x",
    ):
        redshift.extract(tmp_lake, spark, dt.date(2024, 6, 1), {}, conn=conn)
