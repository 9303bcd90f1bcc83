"""Salesforce: Account, Contact, Opportunity through the REST query API.

SOQL ``SELECT … FROM <Object> WHERE SystemModstamp > <watermark> ORDER BY SystemModstamp``, following
``nextRecordsUrl`` page by page; OAuth 2.0 token from the secret's client credentials. Standard library
only (``lakehouse.sources.http``). Locally the same client talks to the loopback stand-in."""

from __future__ import annotations

import contextlib
import os
from datetime import datetime, timezone

from lakehouse.contracts import load_contract
from lakehouse.sources import ExtractResult, max_watermark, safe_watermark
from lakehouse.sources.http import HttpClient

API_VERSION = "v59.0"
# bronze table -> (sObject, {contract column: Salesforce field})
OBJECTS = {
    "sf_accounts": (
        "Account",
        {
            "account_id": "Id",
            "account_name": "Name",
            "industry": "Industry",
            "billing_country": "BillingCountry",
            "annual_revenue": "AnnualRevenue",
            "system_modstamp": "SystemModstamp",
        },
    ),
    "sf_contacts": (
        "Contact",
        {
            "contact_id": "Id",
            "account_id": "AccountId",
            "first_name": "FirstName",
            "last_name": "LastName",
            "email": "Email",
            "phone": "Phone",
            "system_modstamp": "SystemModstamp",
        },
    ),
    "sf_opportunities": (
        "Opportunity",
        {
            "opportunity_id": "Id",
            "account_id": "AccountId",
            "stage_name": "StageName",
            "amount": "Amount",
            "currency": "CurrencyIsoCode",
            "close_date": "CloseDate",
            "system_modstamp": "SystemModstamp",
        },
    ),
}


def soql(obj: str, fields: list[str], watermark: str | None) -> str:
    q = f"SELECT {', '.join(fields)} FROM {obj}"
    wm = safe_watermark(watermark, "salesforce")
    if wm:
        q += f" WHERE SystemModstamp > {wm.replace(' ', 'T')}Z"  # SOQL datetime literal, UTC
    return q + " ORDER BY SystemModstamp"


def to_utc_text(value):
    """'2024-06-01T10:00:00.000+0000' -> '2024-06-01 10:00:00.000' (timezone.utc); anything else passes through
    unchanged so the contract check quarantines it as invalid_type."""
    if not isinstance(value, str):
        return value
    try:
        ts = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return value
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def login(cfg, client_kw: dict) -> HttpClient:
    """An authenticated client: OAuth client-credentials against the org (AWS) or the stand-in (local)."""
    if cfg.source_mode == "aws":
        from lakehouse.secrets import get_secret

        s = get_secret(cfg, "salesforce")
        missing = [k for k in ("login_url", "client_id", "client_secret") if not s.get(k)]
        if missing:
            raise ValueError(f"salesforce: secret lacks key(s) {missing}")
        login_url, form = (
            s["login_url"],
            {
                "grant_type": "client_credentials",
                "client_id": s["client_id"],
                "client_secret": s["client_secret"],
            },
        )
    else:
        login_url = client_kw.pop("base_url")
        form = {"grant_type": "client_credentials", "client_id": "lakehouse-local", "client_secret": "local"}
    auth = HttpClient("salesforce", login_url, **client_kw)
    tok = auth.post_form("/services/oauth2/token", form)
    client = HttpClient(
        "salesforce",
        tok["instance_url"],
        headers={"Authorization": f"Bearer {tok['access_token']}"},
        **client_kw,
    )
    client.attempts_log = auth.attempts_log  # one log of every attempt, for tests and debugging
    return client


def query_all(client: HttpClient, q: str) -> tuple[list[dict], int]:
    """Run a SOQL query and follow nextRecordsUrl to the end; returns (records, totalSize)."""
    page = client.get_json(f"/services/data/{API_VERSION}/query", params={"q": q})
    records, total = list(page.get("records", [])), int(page.get("totalSize", 0))
    while not page.get("done", True):
        page = client.get_json(page["nextRecordsUrl"])
        records += page.get("records", [])
    if len(records) != total:
        raise RuntimeError(f"salesforce: query returned {len(records)} records but totalSize was {total}")
    return records, total


@contextlib.contextmanager
def _endpoint(cfg, base_url: str | None):
    """The URL to talk to: given, $LAKEHOUSE_SALESFORCE_URL, or (local) a stand-in started for this run."""
    url = base_url or os.environ.get("LAKEHOUSE_SALESFORCE_URL")
    if cfg.source_mode == "aws" or url:
        yield url
        return
    from lakehouse.standins.http_servers import SalesforceStandIn

    data = cfg.sources_dir / "salesforce"
    if not data.is_dir():
        raise FileNotFoundError(f"salesforce stand-in: {data} not found (run the generator first)")
    with SalesforceStandIn(data, faults={1: 429, 2: 500}, retry_after="1") as srv:
        yield srv.url


def extract(
    cfg,
    spark,
    execution_date,
    watermarks: dict[str, str | None],
    *,
    base_url: str | None = None,
    client_kw: dict | None = None,
    **_,
) -> dict[str, ExtractResult]:
    out = {}
    with _endpoint(cfg, base_url) as url:
        kw = dict(client_kw or {})
        if cfg.source_mode != "aws":
            kw["base_url"] = url
        client = login(cfg, kw)
        for table, (obj, mapping) in OBJECTS.items():
            contract = load_contract("bronze", table)
            wm = safe_watermark(watermarks.get(table), "salesforce")
            records, total = query_all(client, soql(obj, list(mapping.values()), wm))
            cols = contract.column_names
            rows = [
                tuple(
                    _text(to_utc_text(r.get(mapping[c])) if c == "system_modstamp" else r.get(mapping[c]))
                    for c in cols
                )
                for r in records
            ]
            df = spark.createDataFrame(rows, contract.string_schema()).persist()
            out[table] = ExtractResult(
                df, max_watermark(df, "system_modstamp", wm), total, batch_key=f"{table}|{wm}"
            )
    return out


def _text(v):
    return None if v is None else str(v)
