"""Configuration: bad input fails before any write, with a message naming the key."""

from __future__ import annotations

import json

import pytest

from lakehouse.config import ConfigError, embedded_default, load, validate


def _aws_config(**overrides):
    raw = {
        "environment": "dev",
        "project": "lakehouse",
        "region": "eu-west-1",
        "lake_root": "s3://lakehouse-dev-lake-123456789012",
        "source_mode": "aws",
        "state": {"backend": "dynamodb", "table": "lakehouse-dev-state"},
        "metrics": {"backend": "cloudwatch", "namespace": "Lakehouse/dev"},
    }
    raw.update(overrides)
    return raw


def test_embedded_default_puts_every_layer_under_the_local_lake(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEHOUSE_LAKE_DIR", str(tmp_path))
    cfg = load("local")
    assert cfg.lake_root == str(tmp_path)
    assert cfg.resolve("lake://gold/fact_orders") == f"{tmp_path}/gold/fact_orders"
    assert cfg.table_path("bronze", "orders") == f"{tmp_path}/bronze/orders"
    assert cfg.is_local_lake


def test_s3_lake_is_addressed_through_s3a_off_emr(monkeypatch):
    monkeypatch.delenv("EMR_SERVERLESS_APPLICATION_ID", raising=False)
    monkeypatch.delenv("LAKEHOUSE_RUNTIME", raising=False)
    cfg = validate(_aws_config(), "test")
    assert cfg.resolve("lake://silver/orders") == "s3a://lakehouse-dev-lake-123456789012/silver/orders"
    monkeypatch.setenv("EMR_SERVERLESS_APPLICATION_ID", "00abc")
    assert cfg.resolve("lake://silver/orders") == "s3://lakehouse-dev-lake-123456789012/silver/orders"
    # the marker terraform/modules/emr_serverless sets in every job run's environment is enough on its own
    monkeypatch.delenv("EMR_SERVERLESS_APPLICATION_ID")
    monkeypatch.setenv("LAKEHOUSE_RUNTIME", "emr-serverless")
    assert cfg.resolve("lake://silver/orders") == "s3://lakehouse-dev-lake-123456789012/silver/orders"


def test_unknown_environment_is_refused_naming_the_allowed_ones():
    with pytest.raises(ConfigError, match=r"unknown environment 'qa'; allowed: local, dev, staging, prod"):
        load("qa")


def test_aws_environment_without_a_config_uri_is_refused():
    with pytest.raises(ConfigError, match="needs --config-uri"):
        load("prod")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("lake_root"), "missing required key 'lake_root'"),
        (lambda r: r.update(lake_rot="s3://x"), r"unknown key\(s\) \['lake_rot'\]"),
        (lambda r: r.update(state="dynamodb"), "key 'state' must be dict"),
        (lambda r: r.update(state={"backend": "redis"}), "key 'state.backend' is 'redis'"),
        (lambda r: r.update(state={"backend": "dynamodb"}), "key 'state.table' is required"),
        (lambda r: r.update(source_mode="mock"), "key 'source_mode' is 'mock'"),
    ],
)
def test_missing_or_mistyped_keys_are_named(mutate, message):
    raw = _aws_config()
    mutate(raw)
    with pytest.raises(ConfigError, match=message):
        validate(raw, "job_config.json")


def test_config_file_for_another_environment_is_refused(tmp_path):
    path = tmp_path / "job_config.json"
    path.write_text(json.dumps(_aws_config(environment="staging")))
    with pytest.raises(ConfigError, match="is for environment 'staging', but --env is 'prod'"):
        load("prod", str(path))


def test_unknown_lake_layer_is_refused():
    cfg = validate(embedded_default(), "test")
    with pytest.raises(ConfigError, match="unknown lake layer 'platinum'"):
        cfg.resolve("lake://platinum/x")
