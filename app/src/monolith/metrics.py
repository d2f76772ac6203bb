"""Prometheus text exposition (format 0.0.4), written by hand to keep the wheelhouse small.

Counters are per process: with several gunicorn workers each scrape sees one worker, which is what
Prometheus' own client does without its multiprocess mode too.
"""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Labels = tuple[tuple[str, str], ...]


def _fmt_labels(labels: Labels) -> str:
    if not labels:
        return ""
    parts = []
    for k, v in labels:
        escaped = v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        parts.append(f'{k}="{escaped}"')
    return "{" + ",".join(parts) + "}"


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[Labels, int] = defaultdict(int)
        self._hist_counts: dict[Labels, list[int]] = {}
        self._hist_sum: dict[Labels, float] = defaultdict(float)
        self._lag: dict[Labels, float] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        # Latency by status too: a fast 5xx and a slow 200 must not average into one healthy-looking curve.
        labels = (("route", route), ("method", method), ("status", str(status)))
        with self._lock:
            self._requests[labels] += 1
            counts = self._hist_counts.setdefault(labels, [0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self._hist_sum[labels] += seconds

    def set_lag(self, source: str, destination: str, millis: float | None) -> None:
        key = (("source_region", source), ("destination_region", destination))
        with self._lock:
            if millis is None:
                self._lag.pop(key, None)
            else:
                self._lag[key] = millis

    def render(self, info: dict[str, str]) -> str:
        lines: list[str] = []
        with self._lock:
            lines += [
                "# HELP monolith_info Static information about this process.",
                "# TYPE monolith_info gauge",
                f"monolith_info{_fmt_labels(tuple(sorted(info.items())))} 1",
                "# HELP monolith_http_requests_total HTTP requests by route, method and status.",
                "# TYPE monolith_http_requests_total counter",
            ]
            lines += [
                f"monolith_http_requests_total{_fmt_labels(k)} {v}" for k, v in sorted(self._requests.items())
            ]
            lines += [
                "# HELP monolith_http_request_duration_seconds HTTP request latency (route, method, status).",
                "# TYPE monolith_http_request_duration_seconds histogram",
            ]
            for labels, counts in sorted(self._hist_counts.items()):
                lines += _histogram_lines(labels, counts, self._hist_sum[labels])
            lines += [
                "# HELP monolith_replication_lag_milliseconds Age of the freshest peer heartbeat seen here.",
                "# TYPE monolith_replication_lag_milliseconds gauge",
            ]
            lines += [
                f"monolith_replication_lag_milliseconds{_fmt_labels(k)} {v}"
                for k, v in sorted(self._lag.items())
            ]
        return "\n".join(lines) + "\n"


def _histogram_lines(labels: Labels, counts: list[int], total: float) -> list[str]:
    name = "monolith_http_request_duration_seconds"
    bounds = [*(str(b) for b in BUCKETS), "+Inf"]
    out = [
        f"{name}_bucket{_fmt_labels((*labels, ('le', le)))} {n}" for le, n in zip(bounds, counts, strict=True)
    ]
    out.append(f"{name}_sum{_fmt_labels(labels)} {total}")
    out.append(f"{name}_count{_fmt_labels(labels)} {counts[-1]}")
    return out
