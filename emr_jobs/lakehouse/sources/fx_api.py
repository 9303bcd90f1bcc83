"""FX rates HTTP API: one GET per date (``/rates?date=YYYY-MM-DD``), incremental by date.

The watermark is the last date loaded; a run fetches every date after it up to the execution date (the
first run goes back ``lookback_days``). Dates the API has no rates for (404) are skipped and logged —
weekends and holidays are normal — but an unreachable API fails the run naming the URL."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os

from lakehouse.contracts import load_contract
from lakehouse.sources import ExtractResult, safe_watermark
from lakehouse.sources.http import HttpClient, HttpError

log = logging.getLogger("lakehouse.sources.fx_api")
LOOKBACK_DAYS = 45


@contextlib.contextmanager
def _endpoint(cfg, base_url: str | None):
    url = base_url or os.environ.get("LAKEHOUSE_FX_URL")
    if url or cfg.source_mode == "aws":
        yield url
        return
    from lakehouse.standins.http_servers import FxStandIn

    data = cfg.sources_dir / "fx_api"
    if not (data / "rates.json").is_file():
        raise FileNotFoundError(f"fx_api stand-in: {data / 'rates.json'} not found (run the generator first)")
    with FxStandIn(data, faults={1: 503}, retry_after="0") as srv:
        yield srv.url


def extract(
    cfg,
    spark,
    execution_date: dt.date,
    watermarks: dict[str, str | None],
    *,
    base_url: str | None = None,
    client_kw: dict | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    **_,
) -> dict[str, ExtractResult]:
    contract = load_contract("bronze", "fx_rates")
    wm = safe_watermark(watermarks.get(contract.table), "fx_api")
    first = (
        dt.date.fromisoformat(wm[:10]) + dt.timedelta(days=1)
        if wm
        else execution_date - dt.timedelta(days=lookback_days - 1)
    )
    headers = {}
    with _endpoint(cfg, base_url) as url:
        if cfg.source_mode == "aws":
            from lakehouse.secrets import get_secret

            s = get_secret(cfg, "fx_api")
            url = url or s.get("base_url")
            if not url:
                raise ValueError("fx_api: secret lacks key 'base_url'")
            if s.get("api_key"):
                headers["Authorization"] = f"Bearer {s['api_key']}"
        client = HttpClient("fx_api", url, headers=headers, **(client_kw or {}))
        rows, last = [], None
        day = first
        while day <= execution_date:
            try:
                body = client.get_json("/rates", params={"date": day.isoformat()})
            except HttpError as exc:
                if exc.status != 404:
                    raise
                log.info("fx_api: no rates published for %s", day)
            else:
                rows += [
                    (body.get("date", day.isoformat()), ccy, _text(rate))
                    for ccy, rate in sorted(body["rates"].items())
                ]
                last = day
            day += dt.timedelta(days=1)
    df = spark.createDataFrame(rows, contract.string_schema()).persist()
    new_wm = last.isoformat() if last else wm
    return {
        contract.table: ExtractResult(df, new_wm, len(rows), batch_key=f"fx_rates|{first}|{execution_date}")
    }


def _text(v):
    return None if v is None else format(v, ".10g") if isinstance(v, float) else str(v)
