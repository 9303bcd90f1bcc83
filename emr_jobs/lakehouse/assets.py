"""The job's data files (pipeline graph, DQ suites, schema contracts) when the code runs from a zip.

In the checkout they sit next to the package (``emr_jobs/conf``, ``glue/``). On EMR Serverless the package
arrives as ``--py-files lakehouse.zip``, and the same files were uploaded by ``terraform apply`` to the
artifacts bucket (``code/conf/**`` and ``contracts/**``). ``ensure()`` — called by every entry point before it
imports anything that reads those files — downloads them once into a temp folder and points
``LAKEHOUSE_CONF_DIR`` / ``LAKEHOUSE_CONTRACTS_DIR`` at it. Only stdlib and boto3 here: ``lakehouse.config``
reads those variables at import time.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _in_checkout() -> bool:
    return (_PKG.parent / "conf").is_dir() and (_PKG.parents[1] / "glue").is_dir()


def _config_uri(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--config-uri" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config-uri="):
            return arg.split("=", 1)[1]
    return os.environ.get("LAKEHOUSE_CONFIG_URI")


def fetch(config_uri: str, dest: Path) -> tuple[Path, Path]:
    """Download ``code/conf/**`` and ``contracts/**`` of the artifacts bucket named in the job config."""
    if not config_uri.startswith("s3://"):
        raise ValueError(
            f"--config-uri must be an s3:// URI when the code runs from a zip, got {config_uri!r}"
        )
    from lakehouse.aws import client  # stdlib + boto3 only: safe before lakehouse.config is imported

    s3 = client("s3")
    bucket, key = config_uri[len("s3://") :].split("/", 1)
    cfg = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    artifacts = (cfg.get("artifacts_root") or "").removeprefix("s3://").split("/", 1)[0]
    if not artifacts:
        raise ValueError(
            f"{config_uri}: key 'artifacts_root' is required to find the job's conf and contracts"
        )
    targets = {"code/conf/": dest / "conf", "contracts/": dest / "glue"}
    for prefix, target in targets.items():
        found = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=artifacts, Prefix=prefix):
            for obj in page.get("Contents", []):
                path = target / obj["Key"][len(prefix) :]
                path.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(artifacts, obj["Key"], str(path))
                found += 1
        if not found:
            raise ValueError(
                f"s3://{artifacts}/{prefix} is empty: was the platform applied (terraform apply)?"
            )
    return targets["code/conf/"], targets["contracts/"]


def ensure(argv: list[str]) -> None:
    """Make conf and contracts available; a no-op in the checkout or when the variables are already set."""
    if os.environ.get("LAKEHOUSE_CONF_DIR") and os.environ.get("LAKEHOUSE_CONTRACTS_DIR"):
        return
    if _in_checkout():
        return
    uri = _config_uri(argv)
    if uri is None:
        return  # lakehouse.config reports the missing --config-uri with one clear line
    conf, contracts = fetch(uri, Path(tempfile.mkdtemp(prefix="lakehouse-assets-")))
    os.environ["LAKEHOUSE_CONF_DIR"] = str(conf)
    os.environ["LAKEHOUSE_CONTRACTS_DIR"] = str(contracts)
