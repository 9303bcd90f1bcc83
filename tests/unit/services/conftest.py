"""Fixtures for the shared-runtime tests: AWS fakes (moto in-process) and a state table."""

from __future__ import annotations

import pytest


@pytest.fixture
def aws_creds(monkeypatch):
    """Fake credentials and region, no endpoint or profile: nothing can reach a real account."""
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")


@pytest.fixture
def aws(aws_creds):
    """moto's in-process AWS with fake credentials; boto3 clients built inside it are mocked."""
    from moto import mock_aws

    from lakehouse import aws as aws_mod

    aws_mod.client.cache_clear()  # a client cached outside the mock would talk to real AWS
    with mock_aws():
        yield
    aws_mod.client.cache_clear()


@pytest.fixture
def state_table(aws):
    """The state table as terraform/modules/state creates it (pk/sk strings, TTL on expires_at)."""
    from lakehouse.aws import client

    ddb = client("dynamodb", "eu-west-1")
    ddb.create_table(
        TableName="lakehouse-test-state",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return "lakehouse-test-state"
