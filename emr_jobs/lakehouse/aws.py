"""boto3 clients that honour ``AWS_ENDPOINT_URL`` (moto server, LocalStack) and the configured region."""

from __future__ import annotations

import os
import threading
from functools import cache

# boto3's default session is not thread-safe while it builds a client, and the local runner's jobs run in
# threads; a client, once built, is.
_building = threading.Lock()


@cache
def client(service: str, region: str | None = None, endpoint_url: str | None = None):
    import boto3

    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
    endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    with _building:
        return boto3.client(service, region_name=region, endpoint_url=endpoint_url)
