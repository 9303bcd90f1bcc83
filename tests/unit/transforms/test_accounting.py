import pytest

from lakehouse.accounting import Accounting, AccountingError, assert_balanced, merge_all


def test_balanced_when_every_row_lands_somewhere():
    a = Accounting("silver.orders", rows_in=10, loaded=6, deduplicated=3, quarantined=1)
    assert a.balanced
    assert_balanced([a])  # does not raise


def test_unbalanced_run_fails_naming_table_and_numbers():
    ok = Accounting("silver.customers", 5, 5, 0, 0)
    lost = Accounting("silver.orders", 10, 6, 2, 1)
    with pytest.raises(AccountingError, match=r"silver\.orders: rows_in=10 != loaded=6.*difference 1"):
        assert_balanced({"a": ok, "b": lost})


def test_negative_component_is_never_balanced():
    # a fan-out join can make "deduplicated" negative while the sum still matches
    assert not Accounting("t", 10, 12, -2, 0).balanced


def test_merge_all_sums_per_table_and_reasons():
    out = merge_all(
        [
            Accounting("silver.orders", 4, 3, 0, 1, {"orphan_fk": 1}),
            Accounting("silver.orders", 6, 4, 1, 1, {"orphan_fk": 1}),
            Accounting("silver.products", 2, 2, 0, 0),
        ]
    )
    assert out["silver.orders"].to_dict() == {
        "table": "silver.orders",
        "rows_in": 10,
        "loaded": 7,
        "deduplicated": 1,
        "quarantined": 2,
        "by_reason": {"orphan_fk": 2},
        "balanced": True,
    }
    assert out["silver.products"].rows_in == 2
