"""Source credentials from AWS Secrets Manager, cached for the life of the process (one job run).

Secret *names* come from the Terraform job configuration (``cfg.secrets``: snowflake, redshift, ...); the
values never touch the config, the logs or the repository. The embedded local default has no secrets —
the local stand-in sources need none — so asking for one there is a programming error and says so.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from lakehouse.config import Config


class SecretError(RuntimeError):
    """A secret is not configured, missing in Secrets Manager, or not a JSON object. Names the key."""


_cache: dict[tuple[str, str], dict[str, Any]] = {}
_lock = threading.Lock()


def get_secret(cfg: Config, key: str) -> dict[str, Any]:
    """The JSON object stored in the secret configured as ``cfg.secrets[key]``."""
    if cfg.source_mode == "local" and not cfg.secrets:
        raise SecretError(
            f"secret {key!r} requested in local source mode: the local stand-in sources need no secrets "
            "(configure cfg.secrets in a Terraform job config to use real connectors)"
        )
    name = cfg.secrets.get(key)
    if not name:
        raise SecretError(
            f"no secret configured for {key!r}: job config key 'secrets.{key}' is missing "
            f"(configured: {', '.join(sorted(cfg.secrets)) or 'none'})"
        )
    cache_key = (cfg.environment, name)
    with _lock:
        if cache_key in _cache:
            return dict(_cache[cache_key])
    from botocore.exceptions import ClientError

    from lakehouse.aws import client

    try:
        resp = client("secretsmanager", cfg.region, cfg.endpoint_url).get_secret_value(SecretId=name)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise SecretError(f"secret {name!r} (for {key!r}) does not exist in Secrets Manager") from exc
        raise SecretError(f"cannot read secret {name!r} (for {key!r}): {code or exc}") from exc
    raw = resp.get("SecretString")
    if raw is None:
        raise SecretError(f"secret {name!r} (for {key!r}) has no string value (binary secrets are not used)")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        # never echo the value: it is a credential
        raise SecretError(f"secret {name!r} (for {key!r}) is not a JSON object") from exc
    if not isinstance(value, dict):
        raise SecretError(f"secret {name!r} (for {key!r}) is not a JSON object")
    with _lock:
        _cache[cache_key] = value
    return dict(value)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
