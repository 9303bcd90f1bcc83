"""Loopback HTTP stand-ins for Salesforce and the FX rates API (127.0.0.1, a free port, a daemon thread).

Both can inject faults: ``faults`` maps the n-th data request (1-based) to a status (429 answers with
``Retry-After``), to prove the client's retry with backoff against a real socket."""

from __future__ import annotations

import json
import re
import secrets
import threading
import urllib.parse
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

API = "v59.0"
_SOQL = re.compile(
    r"^SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<obj>\w+)"
    r"(?:\s+WHERE\s+SystemModstamp\s*>\s*(?P<wm>\S+))?(?:\s+ORDER\s+BY\s+SystemModstamp)?\s*$",
    re.I,
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class StandIn:
    """Base: start()/stop(), ``url``, a request log, fault injection."""

    def __init__(self, faults: dict[int, int] | None = None, retry_after: str = "1"):
        self.faults = dict(faults or {})
        self.retry_after = retry_after
        self.requests: list[tuple[str, int]] = []
        self._data_requests = 0
        self._lock = threading.Lock()
        self._httpd: _Server | None = None

    @property
    def url(self) -> str:
        assert self._httpd, "stand-in not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet: the request log is kept in outer.requests
                pass

            def _send(self, status: int, body, headers: dict[str, str] | None = None):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)
                with outer._lock:
                    outer.requests.append((self.path, status))

            def _fault(self) -> bool:
                with outer._lock:
                    outer._data_requests += 1
                    status = outer.faults.pop(outer._data_requests, None)
                if status is None:
                    return False
                hdr = {"Retry-After": outer.retry_after} if status == 429 else {}
                self._send(
                    status,
                    [{"errorCode": "REQUEST_LIMIT_EXCEEDED" if status == 429 else "SERVER_ERROR"}],
                    hdr,
                )
                return True

            def do_GET(self):  # noqa: N802
                outer.handle_get(self)

            def do_POST(self):  # noqa: N802
                outer.handle_post(self)

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, name=type(self).__name__, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def handle_post(self, h):
        h._send(404, {"error": "not found"})


class SalesforceStandIn(StandIn):
    """Serves ``<data_dir>/{Account,Contact,Opportunity}.json`` through the REST query API shape:
    OAuth token endpoint, ``/services/data/vXX.X/query?q=SOQL`` with ``SystemModstamp > <ts>``,
    pages of ``page_size`` records linked by ``nextRecordsUrl``; the bearer token is checked."""

    def __init__(self, data_dir, page_size: int = 2000, **kw):
        super().__init__(**kw)
        self.data_dir = Path(data_dir)
        self.page_size = page_size
        self.token = secrets.token_hex(16)
        self._cursors: dict[str, list[dict]] = {}
        self._objects: dict[str, list[dict]] = {}

    def _records(self, obj: str) -> list[dict]:
        if obj not in self._objects:
            p = self.data_dir / f"{obj}.json"
            self._objects[obj] = json.loads(p.read_text()) if p.is_file() else []
        return self._objects[obj]

    def handle_post(self, h):
        if urllib.parse.urlsplit(h.path).path != "/services/oauth2/token":
            return h._send(404, {"error": "not found"})
        length = int(h.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(h.rfile.read(length).decode())
        if not form.get("client_id"):
            return h._send(400, {"error": "invalid_client"})
        h._send(200, {"access_token": self.token, "instance_url": self.url, "token_type": "Bearer"})

    def handle_get(self, h):
        parts = urllib.parse.urlsplit(h.path)
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            return h._send(401, [{"errorCode": "INVALID_SESSION_ID"}])
        base = f"/services/data/{API}/query"
        if h._fault():
            return None
        if parts.path == base:
            q = urllib.parse.parse_qs(parts.query).get("q", [""])[0]
            m = _SOQL.match(q.strip())
            if not m:
                return h._send(400, [{"errorCode": "MALFORMED_QUERY", "message": q}])
            fields = [f.strip() for f in m["fields"].split(",")]
            recs = self._records(m["obj"])
            if m["wm"]:
                wm = datetime.fromisoformat(m["wm"].replace("Z", "+00:00"))
                recs = [
                    r
                    for r in recs
                    if _sf_time(r.get("SystemModstamp")) and _sf_time(r["SystemModstamp"]) > wm
                ]
            recs = sorted(recs, key=lambda r: r.get("SystemModstamp") or "")
            rows = [{"attributes": r["attributes"], **{f: r.get(f) for f in fields}} for r in recs]
            cursor = secrets.token_hex(8)
            self._cursors[cursor] = rows
            return h._send(200, self._page(cursor, 0))
        if parts.path.startswith(base + "/"):
            cursor, _, offset = parts.path[len(base) + 1 :].partition("-")
            if cursor not in self._cursors or not offset.isdigit():
                return h._send(400, [{"errorCode": "INVALID_QUERY_LOCATOR"}])
            return h._send(200, self._page(cursor, int(offset)))
        return h._send(404, [{"errorCode": "NOT_FOUND"}])

    def _page(self, cursor: str, offset: int) -> dict:
        rows = self._cursors[cursor]
        chunk = rows[offset : offset + self.page_size]
        done = offset + self.page_size >= len(rows)
        page = {"totalSize": len(rows), "done": done, "records": chunk}
        if not done:
            page["nextRecordsUrl"] = f"/services/data/{API}/query/{cursor}-{offset + self.page_size}"
        return page


def _sf_time(value):
    """Records marked by a planted defect (e.g. 'not-a-date') never match a watermark filter."""
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except (TypeError, ValueError):
        return None


class FxStandIn(StandIn):
    """``GET /rates?date=YYYY-MM-DD`` -> ``{"date", "base": "USD", "rates": {ccy: usd_per_unit}}``
    from ``<data_dir>/rates.json``; 404 for a date with no rates."""

    def __init__(self, data_dir, **kw):
        super().__init__(**kw)
        p = Path(data_dir) / "rates.json"
        self.rates = json.loads(p.read_text()) if p.is_file() else {}

    def handle_get(self, h):
        parts = urllib.parse.urlsplit(h.path)
        if parts.path != "/rates":
            return h._send(404, {"error": "not found"})
        if h._fault():
            return None
        day = urllib.parse.parse_qs(parts.query).get("date", [""])[0]
        if day not in self.rates:
            return h._send(404, {"error": f"no rates for {day!r}"})
        h._send(200, {"date": day, "base": "USD", "quote": "usd_per_unit", "rates": self.rates[day]})
