"""Small non-table files in the lake (JSON reports, lineage): a local folder or S3, same call.

``spark_text`` reads the small files Spark itself writes (Delta commits, stream checkpoints) by the path Spark
uses (``s3a://``, ``s3://`` on EMR, or local), through Spark's own filesystem.

``rel`` is a path under the lake root whose first part is a layer (``audit/reports/x.json``). Local writes
go through a temporary file + rename, so a reader never sees half a report. S3 writes ask for SSE-KMS,
which the lake bucket policy requires.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lakehouse.config import LAYERS, ConfigError


def _split(cfg, rel: str) -> tuple[str, str]:
    rel = rel.strip("/")
    if rel.split("/", 1)[0] not in LAYERS or ".." in rel.split("/"):
        raise ConfigError(f"lake file path must start with a layer ({', '.join(LAYERS)}): {rel!r}")
    return cfg.lake_root.rstrip("/"), rel


def _s3(root: str, rel: str) -> tuple[str, str]:
    bucket, _, prefix = root.split("://", 1)[1].partition("/")
    return bucket, f"{prefix.strip('/')}/{rel}".lstrip("/")


def write_lake_text(cfg, rel: str, text: str, content_type: str = "application/json") -> str:
    root, rel = _split(cfg, rel)
    if cfg.is_local_lake:
        path = Path(root.removeprefix("file://")) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
        return str(path)
    from lakehouse.aws import client

    bucket, key = _s3(root, rel)
    client("s3", cfg.region, cfg.endpoint_url).put_object(
        Bucket=bucket, Key=key, Body=text.encode(), ContentType=content_type, ServerSideEncryption="aws:kms"
    )
    return f"s3://{bucket}/{key}"


def read_lake_text(cfg, rel: str) -> str | None:
    """The file's text, or None when it does not exist."""
    root, rel = _split(cfg, rel)
    if cfg.is_local_lake:
        path = Path(root.removeprefix("file://")) / rel
        return path.read_text(encoding="utf-8") if path.is_file() else None
    from botocore.exceptions import ClientError

    from lakehouse.aws import client

    bucket, key = _s3(root, rel)
    try:
        return (
            client("s3", cfg.region, cfg.endpoint_url)
            .get_object(Bucket=bucket, Key=key)["Body"]
            .read()
            .decode()
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise


def spark_text(spark, path: str) -> str:
    """The text of the file at ``path`` as Spark addresses it (Py4JError when it cannot be read)."""
    jvm = spark._jvm
    file = jvm.org.apache.hadoop.fs.Path(path)
    stream = file.getFileSystem(spark._jsc.hadoopConfiguration()).open(file)
    try:
        return jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
    finally:
        stream.close()
