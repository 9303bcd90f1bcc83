"""Contracts: every shipped contract parses; a malformed one names the file and the key."""

import pytest
import yaml

from lakehouse.contracts import ContractError, all_contracts, load_contract, load_contract_file


def test_all_shipped_contracts_parse():
    bronze = {c.table for c in all_contracts("bronze")}
    assert len(bronze) == 12
    q = load_contract("quarantine", "quarantined_rows")
    assert q.business_key == ("source_table", "_batch_id", "reason_code", "record_hash")


@pytest.mark.parametrize(
    "mutate, key",
    [
        (lambda d: d.pop("business_key"), "business_key"),
        (lambda d: d.update(drift="ignore"), "drift"),
        (lambda d: d["columns"][0].update(type="varchar"), "type"),
        (lambda d: d["columns"][0].update(nullable="no"), "nullable"),
        (lambda d: d.update(business_key=["nope"]), "business_key"),
        (lambda d: d.update(watermark_column="nope"), "watermark_column"),
        (lambda d: d.update(table="other"), "table"),
    ],
)
def test_malformed_contract_names_file_and_key(tmp_path, mutate, key):
    from pathlib import Path

    doc = yaml.safe_load(Path(load_contract("bronze", "orders").path).read_text())
    mutate(doc)
    p = tmp_path / "bronze" / "orders.yaml"
    p.parent.mkdir()
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(ContractError) as e:
        load_contract_file(p)
    assert str(p) in str(e.value) and key in str(e.value)


def test_invalid_yaml_is_a_contract_error(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("table: [unclosed")
    with pytest.raises(ContractError, match="not valid YAML"):
        load_contract_file(p)
