"""The emulator gaps tests/emulator/launcher.py patches: each behaves as AWS does (cheap boto3 calls)."""

from __future__ import annotations

import os
import uuid

import pytest


def _client(name):
    from lakehouse.aws import client

    return client(name)


def test_versions_of_a_suspended_bucket_can_be_deleted_one_by_one(emulator):
    # how Terraform empties a force_destroy bucket after destroying its versioning resource
    s3 = _client("s3")
    bucket = f"patch-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]}
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"v1", b"v2"):
        s3.put_object(Bucket=bucket, Key="k", Body=body)
    s3.delete_object(Bucket=bucket, Key="k")  # a delete marker on top
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    listing = s3.list_object_versions(Bucket=bucket)
    versions = listing["Versions"] + listing["DeleteMarkers"]
    assert len(versions) == 3
    first = versions[0]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k", "VersionId": first["VersionId"]}]})
    left = s3.list_object_versions(Bucket=bucket)
    remaining = {v["VersionId"] for v in left.get("Versions", []) + left.get("DeleteMarkers", [])}
    assert remaining == {v["VersionId"] for v in versions[1:]}, "only the named version goes"
    for vid in remaining:
        s3.delete_object(Bucket=bucket, Key="k", VersionId=vid)
    s3.delete_bucket(Bucket=bucket)


def test_emr_serverless_application_starts_in_created_and_keeps_its_architecture(emulator):
    emr = _client("emr-serverless")
    app = emr.create_application(
        name=f"patch-{uuid.uuid4().hex[:6]}", releaseLabel="emr-7.5.0", type="SPARK", architecture="ARM64"
    )
    got = emr.get_application(applicationId=app["applicationId"])["application"]
    assert got["state"] == "CREATED" and got["architecture"] == "ARM64"


def test_lake_formation_revoke_of_nothing_is_an_error(emulator):
    lf = _client("lakeformation")
    with pytest.raises(lf.exceptions.InvalidInputException, match="No permissions revoked"):
        lf.revoke_permissions(
            Principal={"DataLakePrincipalIdentifier": "arn:aws:iam::123456789012:role/nobody"},
            Resource={"Database": {"Name": "no_such_db"}},
            Permissions=["DESCRIBE"],
        )


def test_lake_formation_grants_merged_for_one_principal_and_resource_can_be_revoked(emulator):
    # a second grant for the same principal and resource is merged into the first; unpatched moto then loses
    # it in its set (KeyError, HTTP 500) and `terraform destroy` retries the revoke until it times out
    lf = _client("lakeformation")
    who = {"DataLakePrincipalIdentifier": f"arn:aws:iam::123456789012:role/patch-{uuid.uuid4().hex[:6]}"}
    what = {"Database": {"Name": f"patch_{uuid.uuid4().hex[:6]}"}}

    def held():
        listing = lf.list_permissions(Principal=who, Resource=what)["PrincipalResourcePermissions"]
        return sorted(p for entry in listing for p in entry["Permissions"])

    lf.grant_permissions(Principal=who, Resource=what, Permissions=["DESCRIBE"])
    lf.grant_permissions(Principal=who, Resource=what, Permissions=["SELECT", "ALTER"])
    assert held() == ["ALTER", "DESCRIBE", "SELECT"]
    lf.revoke_permissions(Principal=who, Resource=what, Permissions=["DESCRIBE"])
    assert held() == ["ALTER", "SELECT"]
    lf.revoke_permissions(Principal=who, Resource=what, Permissions=["SELECT", "ALTER"])
    assert held() == []


def test_each_refused_request_is_logged_with_its_action(emulator):
    from tests.emulator.launcher import REFUSED

    if emulator.log_path is None:
        pytest.skip("the user's own emulator (AWS_ENDPOINT_URL): its log is not ours to read")
    glue = _client("glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_database(Name=f"absent_{uuid.uuid4().hex[:8]}")
    log = emulator.log_path.read_text(errors="replace").splitlines()
    assert any(line.startswith(REFUSED) and "AWSGlue.GetDatabase" in line for line in log)


def test_a_retried_call_gets_its_first_attempts_reply_and_runs_once(emulator):
    """The SDKs retry a call whose reply they never saw with the same invocation id; AWS does it once."""
    if emulator.log_path is None:
        pytest.skip("the user's own emulator (AWS_ENDPOINT_URL) dedupes retries its own way")
    iam = _client("iam")
    name = f"retried-{uuid.uuid4().hex[:6]}"
    pinned = {"amz-sdk-invocation-id": str(uuid.uuid4())}

    def pin(request, **_):  # what a retry of one call looks like on the wire
        request.headers.update(pinned)

    iam.meta.events.register("before-send.iam.CreateUser", pin)
    try:
        first = iam.create_user(UserName=name)["User"]
        again = iam.create_user(UserName=name)["User"]  # executed twice, this is EntityAlreadyExists
        assert again["UserId"] == first["UserId"]
        pinned["amz-sdk-invocation-id"] = str(uuid.uuid4())  # a new call is a new call
        with pytest.raises(iam.exceptions.EntityAlreadyExistsException):
            iam.create_user(UserName=name)
    finally:
        iam.meta.events.unregister("before-send.iam.CreateUser", pin)
    # a failed first attempt is not kept: its retry runs again
    pinned["amz-sdk-invocation-id"] = str(uuid.uuid4())
    iam.meta.events.register("before-send.iam.DeleteUser", pin)
    try:
        iam.delete_user(UserName=name)
        iam.delete_user(UserName=name)  # replayed: still a success
    finally:
        iam.meta.events.unregister("before-send.iam.DeleteUser", pin)
    pinned["amz-sdk-invocation-id"] = str(uuid.uuid4())
    iam.meta.events.register("before-send.iam.GetUser", pin)
    try:
        for _ in range(2):  # GetUser is a POST too; its failure is answered afresh each time
            with pytest.raises(iam.exceptions.NoSuchEntityException):
                iam.get_user(UserName=name)
    finally:
        iam.meta.events.unregister("before-send.iam.GetUser", pin)
    log = emulator.log_path.read_text(errors="replace")
    assert log.count("emulator replayed: 200 OK POST / ") == 2  # the CreateUser and the DeleteUser
