"""HTTP sources against the loopback stand-ins: pagination, 429/500 retry with backoff, clear errors."""

import json

import pytest

from lakehouse.config import embedded_default, validate
from lakehouse.sources import salesforce
from lakehouse.sources.http import HttpClient, SourceUnavailable
from lakehouse.standins.http_servers import FxStandIn, SalesforceStandIn


def _sf_data(tmp_path, n=45):
    recs = [
        {
            "attributes": {"type": "Account"},
            "Id": f"001{i:05d}",
            "Name": f"A{i}",
            "Industry": None,
            "BillingCountry": "DE",
            "AnnualRevenue": 1.5,
            "SystemModstamp": f"2024-06-{1 + i % 28:02d}T10:00:00.000+0000",
        }
        for i in range(n)
    ]
    (tmp_path / "Account.json").write_text(json.dumps(recs))
    return recs


def test_salesforce_paginates_and_retries_429_then_500(tmp_path):
    _sf_data(tmp_path)
    sleeps = []
    cfg = validate({k: v for k, v in embedded_default().items() if v is not None}, "test")
    with SalesforceStandIn(tmp_path, page_size=10, faults={2: 429, 4: 500}, retry_after="2") as srv:
        client = salesforce.login(cfg, {"base_url": srv.url, "sleep": sleeps.append, "backoff_base": 0.01})
        recs, total = salesforce.query_all(client, salesforce.soql("Account", ["Id", "SystemModstamp"], None))
        statuses = [s for _, s in srv.requests]
    assert total == 45 and len({r["Id"] for r in recs}) == 45
    assert statuses.count(429) == 1 and statuses.count(500) == 1
    assert sleeps[0] == 2.0  # Retry-After honoured
    assert len(sleeps) == 2 and 0 < sleeps[1] <= 0.02  # then exponential backoff with jitter
    assert sum(1 for p, s in srv.requests if "/query/" in p and s == 200) == 4  # 5 pages: first + 4 next


def test_salesforce_watermark_filters_server_side(tmp_path):
    recs = _sf_data(tmp_path)
    cfg = validate({k: v for k, v in embedded_default().items() if v is not None}, "test")
    with SalesforceStandIn(tmp_path, page_size=100) as srv:
        client = salesforce.login(cfg, {"base_url": srv.url})
        got, _ = salesforce.query_all(client, salesforce.soql("Account", ["Id"], "2024-06-20 10:00:00"))
    expect = {r["Id"] for r in recs if r["SystemModstamp"] > "2024-06-20T10:00:00.000+0000"}
    assert {r["Id"] for r in got} == expect and expect


def test_fx_client_retries_then_succeeds(tmp_path):
    (tmp_path / "rates.json").write_text(
        json.dumps({"2024-06-01": {f"C{i:02d}": 1.0 + i for i in range(25)}})
    )
    sleeps = []
    with FxStandIn(tmp_path, faults={1: 500, 2: 429}, retry_after="0") as srv:
        c = HttpClient("fx_api", srv.url, sleep=sleeps.append, backoff_base=0.01)
        body = c.get_json("/rates", params={"date": "2024-06-01"})
    assert len(body["rates"]) == 25 and len(sleeps) == 2


def test_unreachable_source_names_it():
    c = HttpClient("fx_api", "http://127.0.0.1:9", max_attempts=2, sleep=lambda s: None, timeout=2)
    with pytest.raises(
        SourceUnavailable, match=r"fx_api: http://127.0.0.1/rates unreachable after 2 attempts"
    ):
        c.get_json("/rates")


def test_plain_http_refused_off_loopback():
    with pytest.raises(ValueError, match="refusing plain http"):
        HttpClient("fx_api", "http://rates.example.com")
