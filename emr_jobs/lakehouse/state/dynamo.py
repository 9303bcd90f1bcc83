"""DynamoDB state store (one table per environment, keys in docs/interfaces.md).

Every rule is a condition expression evaluated by DynamoDB in the same request as the write, so there is
no read-then-write window between two concurrent runs:

* watermark: ``attribute_not_exists(pk) OR ord <= :ord`` (``ord`` is the order key of the value);
* lock: ``attribute_not_exists(pk) OR expires_at < :now OR owner = :owner`` — an expired lock is stale;
  ``expires_at`` is also the table's TTL attribute, so DynamoDB removes abandoned locks eventually;
* release: ``owner = :owner`` (never delete a lock another run has taken over);
* landing file: ``attribute_not_exists(pk)``.
"""

from __future__ import annotations

from collections.abc import Callable

from lakehouse.state.base import LockHeld, StateError, StateStore, WatermarkRegression, order_key


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoStateStore(StateStore):
    def __init__(
        self,
        table: str,
        region: str | None = None,
        endpoint_url: str | None = None,
        clock: Callable[[], float] | None = None,
        client=None,
    ):
        super().__init__(clock)
        if not table:
            raise StateError("DynamoDB state store needs a table name (job config key 'state.table')")
        from lakehouse.aws import client as make_client

        self.table = table
        self.ddb = client or make_client("dynamodb", region, endpoint_url)

    def _call(self, op: str, **kwargs):
        from botocore.exceptions import ClientError

        try:
            return getattr(self.ddb, op)(TableName=self.table, **kwargs)
        except ClientError as exc:
            if _conditional_failed(exc):
                raise
            code = exc.response.get("Error", {}).get("Code")
            raise StateError(f"DynamoDB {op} on state table {self.table!r} failed: {code}: {exc}") from exc

    # ---- watermarks --------------------------------------------------------------------------------
    def get_watermark(self, job: str, source: str) -> str | None:
        item = self._call(
            "get_item", Key={"pk": {"S": f"watermark#{job}"}, "sk": {"S": source}}, ConsistentRead=True
        ).get("Item")
        return item["value"]["S"] if item else None

    def set_watermark(self, job: str, source: str, value: str) -> None:
        from botocore.exceptions import ClientError

        ord_ = order_key(value)
        try:
            self._call(
                "put_item",
                Item={
                    "pk": {"S": f"watermark#{job}"},
                    "sk": {"S": source},
                    "value": {"S": value},
                    "ord": {"S": ord_},
                    "updated_at": {"N": repr(self.clock())},
                },
                ConditionExpression="attribute_not_exists(pk) OR #ord <= :ord",
                ExpressionAttributeNames={"#ord": "ord"},
                ExpressionAttributeValues={":ord": {"S": ord_}},
            )
        except ClientError as exc:
            current = self.get_watermark(job, source)
            raise WatermarkRegression(
                f"watermark of {job}/{source} would move backwards: {current!r} -> {value!r}"
            ) from exc

    # ---- locks ---------------------------------------------------------------------------------------
    def acquire_lock(self, job: str, owner: str, ttl_seconds: int = 3600) -> None:
        from botocore.exceptions import ClientError

        now = self.clock()
        key = {"pk": {"S": f"lock#{job}"}, "sk": {"S": "lock"}}
        try:
            self._call(
                "put_item",
                Item={
                    **key,
                    "owner": {"S": owner},
                    "expires_at": {"N": str(int(now + ttl_seconds))},
                    "acquired_at": {"N": repr(now)},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now OR #owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":now": {"N": str(int(now))}, ":owner": {"S": owner}},
            )
        except ClientError as exc:
            held = self._call("get_item", Key=key, ConsistentRead=True).get("Item") or {}
            raise LockHeld(
                job,
                held.get("owner", {}).get("S"),
                float(held["expires_at"]["N"]) if "expires_at" in held else None,
            ) from exc

    def release_lock(self, job: str, owner: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._call(
                "delete_item",
                Key={"pk": {"S": f"lock#{job}"}, "sk": {"S": "lock"}},
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except ClientError:
            return False
        return True

    # ---- landing-file ledger -------------------------------------------------------------------------
    def record_file(self, source: str, key: str, etag: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._call(
                "put_item",
                Item={
                    "pk": {"S": f"file#{source}"},
                    "sk": {"S": key},
                    "etag": {"S": etag or ""},
                    "recorded_at": {"N": repr(self.clock())},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError:
            return False
        return True

    def seen_files(self, source: str) -> set[str]:
        keys: set[str] = set()
        kwargs = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"file#{source}"}},
            "ProjectionExpression": "sk",
            "ConsistentRead": True,
        }
        while True:
            page = self._call("query", **kwargs)
            keys.update(item["sk"]["S"] for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return keys
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
