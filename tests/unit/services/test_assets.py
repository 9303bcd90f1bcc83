"""lakehouse.assets: what an EMR entry point downloads before it imports the package's readers.

On EMR the package runs from ``lakehouse.zip``; conf, contracts and entry points come from the artifacts
bucket, laid out as ``terraform/artifacts.tf`` uploads them. The runner (``maintenance.py --task backfill``)
loads the jobs from ``LAKEHOUSE_ENTRYPOINTS_DIR``, so ``ensure()`` must fetch the entry points and set it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lakehouse import assets

REPO = Path(__file__).resolve().parents[3]
EMR_JOBS = REPO / "emr_jobs"
ARTIFACTS = "lakehouse-test-artifacts"
CONFIG_URI = f"s3://{ARTIFACTS}/config/job_config.json"
VARS = (assets.CONF_VAR, assets.CONTRACTS_VAR, assets.ENTRYPOINTS_VAR)
ENTRYPOINTS = sorted(p.name for p in (EMR_JOBS / "entrypoints").glob("*.py"))


def _artifact_files() -> dict[str, Path]:
    """S3 key -> local file, as terraform/artifacts.tf's artifact_files (without the generated config)."""
    files = {f"code/entrypoints/{p.name}": p for p in (EMR_JOBS / "entrypoints").glob("*.py")}
    files.update(
        {f"code/{p.relative_to(EMR_JOBS)}": p for p in (EMR_JOBS / "conf").rglob("*") if p.is_file()}
    )
    glue = REPO / "glue"
    files.update({f"contracts/{p.relative_to(glue)}": p for p in glue.glob("*/*.yaml")})
    files.update({f"contracts/{p.name}": p for p in glue.glob("_*.yaml")})
    return files


def _upload(s3) -> None:
    s3.create_bucket(Bucket=ARTIFACTS, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for key, path in _artifact_files().items():
        s3.put_object(Bucket=ARTIFACTS, Key=key, Body=path.read_bytes())
    config = {"environment": "dev", "artifacts_root": f"s3://{ARTIFACTS}"}  # all fetch() reads
    s3.put_object(Bucket=ARTIFACTS, Key="config/job_config.json", Body=json.dumps(config).encode())


@pytest.fixture
def artifacts_bucket(aws, monkeypatch, tmp_path):
    """moto in-process, the artifacts bucket as the apply leaves it, and the code 'running from the zip'."""
    import tempfile

    from lakehouse import aws as aws_mod

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # ensure()'s download folder

    for var in VARS:
        monkeypatch.setenv(var, "")  # unset for ensure(); restored afterwards
    monkeypatch.setattr(assets, "_in_checkout", lambda: False)
    _upload(aws_mod.client("s3"))


def test_ensure_fetches_the_entry_points_and_points_the_runner_at_them(artifacts_bucket):
    from lakehouse.runner import load_pipeline

    assets.ensure(["--env", "dev", "--config-uri", CONFIG_URI, "--task", "backfill"])

    entrypoints = Path(os.environ[assets.ENTRYPOINTS_VAR])
    assert sorted(p.name for p in entrypoints.glob("*.py")) == ENTRYPOINTS
    for name in ENTRYPOINTS:
        assert (entrypoints / name).read_bytes() == (EMR_JOBS / "entrypoints" / name).read_bytes()
    conf = Path(os.environ[assets.CONF_VAR])
    assert (conf / "pipeline.yaml").is_file()
    assert (Path(os.environ[assets.CONTRACTS_VAR]) / "silver").is_dir()
    assert len({conf.parent, entrypoints.parent}) == 1  # one download folder per process
    # The check runner.load_pipeline makes for every job (what failed on EMR before).
    pipeline = load_pipeline(conf / "pipeline.yaml", entrypoints)
    assert {j.entrypoint for j in pipeline.jobs.values()} <= set(ENTRYPOINTS)


def test_fetch_also_downloads_the_entry_points(artifacts_bucket, tmp_path):
    conf, contracts = assets.fetch(CONFIG_URI, tmp_path)  # the (conf, contracts) callers unpack
    assert (conf, contracts) == (tmp_path / "conf", tmp_path / "glue")
    assert sorted(p.name for p in (tmp_path / "entrypoints").glob("*.py")) == ENTRYPOINTS


def test_a_variable_already_set_is_kept_and_its_part_not_downloaded(artifacts_bucket, tmp_path, monkeypatch):
    mine = tmp_path / "my-entrypoints"
    monkeypatch.setenv(assets.ENTRYPOINTS_VAR, str(mine))
    assets.ensure(["--config-uri", CONFIG_URI])
    assert os.environ[assets.ENTRYPOINTS_VAR] == str(mine)
    download = Path(os.environ[assets.CONF_VAR]).parent
    assert sorted(p.name for p in download.iterdir()) == ["conf", "glue"]


def test_everything_set_or_the_checkout_downloads_nothing(aws_creds, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("nothing to download")

    monkeypatch.setattr(assets, "fetch_parts", refuse)
    for var in VARS:
        monkeypatch.setenv(var, f"/somewhere/{var}")
    monkeypatch.setattr(assets, "_in_checkout", lambda: False)
    assets.ensure(["--config-uri", CONFIG_URI])
    for var in VARS:
        monkeypatch.setenv(var, "")
    monkeypatch.setattr(assets, "_in_checkout", lambda: True)
    assets.ensure(["--config-uri", CONFIG_URI])
    assert all(os.environ[var] == "" for var in VARS)


def test_an_empty_entrypoints_prefix_is_one_clear_error(artifacts_bucket, tmp_path):
    from lakehouse.aws import client

    s3 = client("s3")
    for key in [k for k in _artifact_files() if k.startswith("code/entrypoints/")]:
        s3.delete_object(Bucket=ARTIFACTS, Key=key)
    with pytest.raises(ValueError, match=f"s3://{ARTIFACTS}/code/entrypoints/ is empty"):
        assets.fetch(CONFIG_URI, tmp_path)


# The documented EMR backfill, from the zip: the maintenance entry point's import-time ensure(), then what
# maintenance.backfill -> runner.run does before any job runs (load the graph, load every entry point).
_FROM_THE_ZIP = """
import json, os, runpy, sys
entry, uri = sys.argv[1], sys.argv[2]
sys.argv = ["maintenance.py", "--env", "dev", "--execution-date", "2024-06-02", "--config-uri", uri,
            "--task", "backfill", "--start", "2024-06-01", "--end", "2024-06-02"]
runpy.run_path(entry, run_name="lakehouse_entrypoint_maintenance")
import lakehouse
from lakehouse import runner
pipeline = runner.load_pipeline()
loaded = [runner._load_entrypoint(j).__file__ for j in pipeline.order("daily")]
print(json.dumps({"package": lakehouse.__file__, "runner_dir": str(runner.entrypoints_dir()),
                  "env_dir": os.environ["LAKEHOUSE_ENTRYPOINTS_DIR"], "loaded": loaded}))
"""


def test_the_emr_backfill_finds_the_entry_points_when_running_from_the_zip(aws_creds, tmp_path):
    import boto3
    from moto.server import ThreadedMotoServer

    package = tmp_path / "code" / "lakehouse.zip"  # lakehouse/** only, as terraform's archive_file
    package.parent.mkdir()
    with zipfile.ZipFile(package, "w") as zf:
        for path in sorted((EMR_JOBS / "lakehouse").rglob("*.py")):
            if "__pycache__" not in path.parts:
                zf.write(path, str(path.relative_to(EMR_JOBS)))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        _upload(boto3.client("s3", region_name="eu-west-1", endpoint_url=endpoint))
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE_") and k != "PYTHONPATH"}
        env.update(PYTHONPATH=str(package), AWS_ENDPOINT_URL=endpoint, TMPDIR=str(tmp_path))
        out = subprocess.run(
            [sys.executable, "-c", _FROM_THE_ZIP, str(EMR_JOBS / "entrypoints" / "maintenance.py"), CONFIG_URI],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        server.stop()
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["package"].startswith(str(package))  # really the zip, not the checkout
    assert result["runner_dir"] == result["env_dir"]
    downloaded = Path(result["env_dir"])
    assert downloaded.name == "entrypoints" and downloaded.is_relative_to(tmp_path)
    assert result["loaded"] and all(Path(f).parent == downloaded for f in result["loaded"])
