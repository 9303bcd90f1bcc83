"""The job's data files (pipeline graph, DQ suites, schema contracts) and the entry points, when the code
runs from a zip.

In the checkout they sit next to the package (``emr_jobs/conf``, ``emr_jobs/entrypoints``, ``glue/``). On EMR
Serverless the package arrives as ``--py-files lakehouse.zip``, and the same files were uploaded by
``terraform apply`` to the artifacts bucket (``code/conf/**``, ``code/entrypoints/*.py`` and
``contracts/**``). ``ensure()`` — called by every entry point before it imports anything that reads those
files — downloads them once into a temp folder and points ``LAKEHOUSE_CONF_DIR`` /
``LAKEHOUSE_CONTRACTS_DIR`` / ``LAKEHOUSE_ENTRYPOINTS_DIR`` at it (the last one is what the runner, and so
``maintenance.py --task backfill``, loads the jobs from). Only stdlib and boto3 here: ``lakehouse.config``
and ``lakehouse.runner`` read those variables at import time.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

_PKG = Path(__file__).resolve().parent

CONF_VAR = "LAKEHOUSE_CONF_DIR"
CONTRACTS_VAR = "LAKEHOUSE_CONTRACTS_DIR"
ENTRYPOINTS_VAR = "LAKEHOUSE_ENTRYPOINTS_DIR"
# variable -> (prefix in the artifacts bucket, folder under the download destination)
PARTS: dict[str, tuple[str, str]] = {
    CONF_VAR: ("code/conf/", "conf"),
    CONTRACTS_VAR: ("contracts/", "glue"),
    ENTRYPOINTS_VAR: ("code/entrypoints/", "entrypoints"),
}


def _in_checkout() -> bool:
    return (_PKG.parent / "conf").is_dir() and (_PKG.parents[1] / "glue").is_dir()


def _config_uri(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--config-uri" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config-uri="):
            return arg.split("=", 1)[1]
    return os.environ.get("LAKEHOUSE_CONFIG_URI")


def fetch_parts(config_uri: str, dest: Path, variables: Iterable[str] = tuple(PARTS)) -> dict[str, Path]:
    """Download the parts of the artifacts bucket (named in the job config) that ``variables`` stand for
    (keys of ``PARTS``) under ``dest``; return the folder of each."""
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
            f"{config_uri}: key 'artifacts_root' is required to find the job's conf, contracts and entry points"
        )
    folders: dict[str, Path] = {}
    for var in variables:
        prefix, folder = PARTS[var]
        target = dest / folder
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
        folders[var] = target
    return folders


def fetch(config_uri: str, dest: Path) -> tuple[Path, Path]:
    """Download ``code/conf/**``, ``contracts/**`` and ``code/entrypoints/**`` of the artifacts bucket named
    in the job config; return the conf and contracts folders (the entry points are in ``dest/entrypoints``)."""
    folders = fetch_parts(config_uri, dest)
    return folders[CONF_VAR], folders[CONTRACTS_VAR]


def ensure(argv: list[str]) -> None:
    """Make conf, contracts and entry points available; a no-op in the checkout. A variable already set is
    kept (and its part not downloaded)."""
    missing = [var for var in PARTS if not os.environ.get(var)]
    if not missing or _in_checkout():
        return
    uri = _config_uri(argv)
    if uri is None:
        return  # lakehouse.config reports the missing --config-uri with one clear line
    folders = fetch_parts(uri, Path(tempfile.mkdtemp(prefix="lakehouse-assets-")), missing)
    for var, folder in folders.items():
        os.environ[var] = str(folder)
