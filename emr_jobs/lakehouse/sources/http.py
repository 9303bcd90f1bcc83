"""A small retrying HTTP client on the standard library (EMR has no ``requests`` unless it travels in
the zip). Retries connection errors, 429 and 5xx with exponential backoff and jitter, honours
``Retry-After``, and refuses non-HTTPS URLs except on loopback (the local stand-ins)."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class SourceUnavailable(RuntimeError):
    """A source could not be reached (after retries); the message names the source and URL."""


class HttpError(RuntimeError):
    def __init__(self, source: str, url: str, status: int, body: str):
        self.status = status
        super().__init__(f"{source}: HTTP {status} from {_redact(url)}: {body[:200]}")


def _redact(url: str) -> str:
    p = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((p.scheme, p.hostname or "", p.path, "", ""))  # no query, no userinfo


@dataclass
class HttpClient:
    source: str  # named in every error
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    sleep: Any = time.sleep  # injectable for tests
    attempts_log: list[tuple[str, int | str]] = field(default_factory=list)  # (url, status or error)

    def __post_init__(self):
        p = urllib.parse.urlsplit(self.base_url)
        if p.scheme not in ("https", "http") or not p.hostname:
            raise ValueError(f"{self.source}: invalid base URL {self.base_url!r}")
        if p.scheme == "http" and p.hostname not in _LOOPBACK:
            raise ValueError(
                f"{self.source}: refusing plain http to {p.hostname} (only https, or loopback stand-ins)"
            )

    def url(self, path_or_url: str, params: dict[str, Any] | None = None) -> str:
        url = (
            path_or_url
            if "://" in path_or_url
            else urllib.parse.urljoin(self.base_url.rstrip("/") + "/", path_or_url.lstrip("/"))
        )
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return url

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.backoff_max)
            except ValueError:
                pass
        return min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params=None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        url = self.url(path_or_url, params)
        last: str = ""
        for attempt in range(1, self.max_attempts + 1):
            req = urllib.request.Request(
                url, data=data, method=method, headers={**self.headers, **(headers or {})}
            )
            retry_after = None
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - scheme checked
                    body = resp.read()
                    self.attempts_log.append((url, resp.status))
                    return body
            except urllib.error.HTTPError as exc:
                body = exc.read().decode("utf-8", "replace")
                self.attempts_log.append((url, exc.code))
                if exc.code not in RETRY_STATUS:
                    raise HttpError(self.source, url, exc.code, body) from None
                retry_after = exc.headers.get("Retry-After")
                last = f"HTTP {exc.code}"
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                self.attempts_log.append((url, f"error: {reason}"))
                last = f"{type(exc).__name__}: {reason}"
            if attempt < self.max_attempts:
                self.sleep(self._delay(attempt, retry_after))
        raise SourceUnavailable(
            f"{self.source}: {_redact(url)} unreachable after {self.max_attempts} attempts (last: {last})"
        )

    def get_json(self, path_or_url: str, params=None) -> Any:
        body = self.request("GET", path_or_url, params=params)
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise HttpError(self.source, self.url(path_or_url, params), 200, f"not JSON: {exc}") from None

    def post_form(self, path_or_url: str, form: dict[str, str]) -> Any:
        body = self.request(
            "POST",
            path_or_url,
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return json.loads(body)
