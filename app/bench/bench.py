"""Load benchmark: gunicorn serving the app over the local emulator, GET and PUT phases, on loopback only.

    .venv/bin/python app/bench/bench.py [--seconds 10] [--concurrency 8] [--get-rate 100] [--put-rate 50]
                                        [--out build/bench/results.json]

Starts the project's emulator on a free 127.0.0.1 port (or uses --endpoint, which must be a loopback URL),
creates a table, starts gunicorn with the app, seeds records, then runs each phase for a bounded time and
request count with keep-alive connections, one per client thread. Two kinds of phase: closed loop (each
client sends its next request as soon as the last one answers: the most the server does, in req/s) and
open loop at a fixed offered rate (requests start on a fixed schedule whatever the answers do, and each
latency counts from the request's scheduled start, so a server falling behind shows in p99 instead of
slowing the load down). Writes requests/s and p50/p90/p99/max latency per phase to a JSON file and prints
them. Numbers measure this machine plus moto, not AWS: compare
runs with each other, never with a target.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "app" / "src"))  # run from a checkout, without installing the app

from monolith.bootstrap import Settings, gunicorn_command  # noqa: E402
from monolith.store import TABLE_KEYS  # noqa: E402

REGION = "us-west-2"
TABLE = "bench-records"
MAX_REQUESTS_PER_PHASE = 200_000  # a hard stop besides the clock
GET, PUT = "GET /api/records/<id>", "PUT /api/records/<id>"
# Clients of an open-loop phase: enough that requests start on schedule while the server keeps up.
OPEN_LOOP_CLIENTS = 32
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, deadline_s: float, proc: subprocess.Popen[bytes]) -> None:
    parsed = urllib.parse.urlsplit(url)
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=2)
            conn.request("GET", parsed.path or "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {deadline_s}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def emulator(logs: Path) -> Iterator[tuple[str, int | None]]:
    """The emulator's URL and process id (to read its CPU time: what bounds the app's figures here)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "local")}
    with (logs / "emulator.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/_emulator/calls", 30, proc)
            yield f"http://127.0.0.1:{port}", proc.pid
        finally:
            stop(proc)


def create_table(endpoint: str) -> None:
    import boto3  # noqa: PLC0415 -- only needed once the emulator is up

    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    if TABLE in client.list_tables()["TableNames"]:
        return
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST", **TABLE_KEYS)


@contextmanager
def app_server(endpoint: str, logs: Path, workers: int, threads: int) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "app" / "src"),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        "AWS_REGION": REGION,
        "APP_TABLE_NAME": TABLE,
        "APP_PEER_REGIONS": "eu-west-1,ap-southeast-2",
        "APP_COLOUR": "blue",
        "APP_VERSION": "bench",
        "APP_LOG_LEVEL": "WARNING",  # one access line per request would measure the terminal, not the app
    }
    cmd = gunicorn_command(Settings(port=port, bind_host="127.0.0.1", workers=workers, threads=threads))
    with (logs / "gunicorn.log").open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_http(f"http://127.0.0.1:{port}/readyz", 60, proc)
            yield port
        finally:
            stop(proc)


def percentile(values: list[float], p: float) -> float:
    """The p-th quantile (0 < p <= 1) of at least one value, by nearest rank: the smallest value with at
    least p of all values at or below it (the definition every figure of make bench uses)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0
    elapsed_s: float = 0.0
    offered_rate: float | None = None  # requests/s on a fixed schedule; None: closed loop
    emulator_cpu_s: float | None = None  # CPU time the emulator process spent during the phase
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, ms: float) -> None:
        with self.lock:
            self.latencies_ms.append(ms)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        scheduled = math.ceil(self.offered_rate * self.seconds) if self.offered_rate else None

        def pct(p: float) -> float | None:
            return round(percentile(lat, p), 2) if lat else None

        return {
            "requests": len(lat),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "seconds": round(self.elapsed_s, 2),
            "offered_requests_per_second": self.offered_rate,
            # Scheduled requests that no client could start before the phase ended (open loop only).
            "missed": scheduled - len(lat) - self.errors if scheduled is not None else None,
            "requests_per_second": round(len(lat) / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "p50_ms": pct(0.50),
            "p90_ms": pct(0.90),
            "p99_ms": pct(0.99),
            "max_ms": round(lat[-1], 2) if lat else None,
            # The backend's share: one Python process, so ~1000 / this is its ceiling in req/s on one core.
            "emulator_cpu_ms_per_request": (
                round(self.emulator_cpu_s * 1000 / len(lat), 2)
                if self.emulator_cpu_s is not None and lat
                else None
            ),
        }


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process, from /proc (None where there is no /proc or no process)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3 of stat(5), utime and stime fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Request = Callable[[http.client.HTTPConnection, random.Random], int]


def run_phase(
    name: str,
    port: int,
    clients: list[Request],
    seconds: float,
    rate: float | None = None,
    *,
    emulator_pid: int | None = None,
) -> Phase:
    """Closed loop when `rate` is None; else open loop: request n starts n / rate s after the phase starts.
    With `emulator_pid`, also the emulator process's CPU time over the phase."""
    phase = Phase(name, seconds=seconds, offered_rate=rate)
    started = time.perf_counter()
    deadline = started + seconds
    budget = iter(range(MAX_REQUESTS_PER_PHASE))
    budget_lock = threading.Lock()

    def next_start() -> float | None:
        """When the calling client's next request starts (perf_counter time); None: the phase is over."""
        with budget_lock:
            slot = next(budget, None)
        if slot is None:
            return None
        if rate is None:
            now = time.perf_counter()
            return now if now < deadline else None
        scheduled = started + slot / rate
        if scheduled >= deadline:
            return None
        time.sleep(max(0.0, scheduled - time.perf_counter()))
        # A request still unsent at the deadline (every client busy since its slot) counts as missed.
        return scheduled if time.perf_counter() < deadline else None

    def client(request: Request, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 -- picks records to load, not secrets
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while (start := next_start()) is not None:
            try:
                status = request(conn, rng)
            except (OSError, http.client.HTTPException):
                with phase.lock:
                    phase.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            phase.add(status, (time.perf_counter() - start) * 1000)
        conn.close()

    threads = [threading.Thread(target=client, args=(req, i)) for i, req in enumerate(clients)]
    cpu_before = cpu_seconds(emulator_pid)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.elapsed_s = time.perf_counter() - started
    cpu_after = cpu_seconds(emulator_pid)
    if cpu_before is not None and cpu_after is not None:
        phase.emulator_cpu_s = cpu_after - cpu_before
    return phase


def call(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None, **headers: str) -> Any:
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    payload = resp.read()
    return resp.status, (json.loads(payload) if payload else None)


def seed(port: int, count: int) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    ids = []
    for n in range(count):
        status, body = call(conn, "POST", "/api/records", {"n": n, "text": "x" * 200})
        if status != 201:
            raise RuntimeError(f"seeding failed: {status} {body}")
        ids.append(body["id"])
    conn.close()
    return ids


def getter(ids: list[str]) -> Request:
    def request(conn: http.client.HTTPConnection, rng: random.Random) -> int:
        status, _ = call(conn, "GET", f"/api/records/{rng.choice(ids)}")
        return int(status)

    return request


def putter(own: list[str], versions: dict[str, int]) -> Request:
    """Each client updates only its own records, so a 412 means a bug, not contention between clients;
    `versions` (record id -> current version) outlives the phase, so the next phase's If-Match is current."""

    def request(conn: http.client.HTTPConnection, rng: random.Random) -> int:
        rid = rng.choice(own)
        status, body = call(
            conn, "PUT", f"/api/records/{rid}", {"v": versions[rid] + 1}, **{"If-Match": f'"{versions[rid]}"'}
        )
        if status == 200:
            versions[rid] = body["version"]
        elif status == 412:
            versions[rid] = body["current_version"]
        return int(status)

    return request


def putters(ids: list[str], clients: int, versions: dict[str, int]) -> list[Request]:
    """One putter per client, each over its own share of the records."""
    return [putter(ids[i::clients], versions) for i in range(clients)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each phase")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads of the closed-loop phases")
    parser.add_argument(
        "--get-rate", type=float, default=100.0, help="offered GET req/s of the open-loop phase"
    )
    parser.add_argument(
        "--put-rate", type=float, default=50.0, help="offered PUT req/s of the open-loop phase"
    )
    parser.add_argument("--records", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--endpoint", help="a running emulator (loopback URL); default: start one")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "bench" / "results.json")
    args = parser.parse_args(argv)
    if args.endpoint and urllib.parse.urlsplit(args.endpoint).hostname not in (
        "127.0.0.1",
        "localhost",
        "::1",
    ):
        parser.error("--endpoint must be on loopback: this benchmark never sends load anywhere else")
    if not 1 <= args.concurrency <= 64 or args.seconds <= 0 or args.seconds > 600:
        parser.error("--concurrency must be 1..64 and --seconds 0..600")
    if not (0 < args.get_rate <= 5000 and 0 < args.put_rate <= 5000):
        parser.error("--get-rate and --put-rate must be more than 0 and at most 5000 req/s")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        logs = Path(tmp)
        with emulator(logs) if args.endpoint is None else _given(args.endpoint) as (endpoint, emulator_pid):
            create_table(endpoint)
            with app_server(endpoint, logs, args.workers, args.threads) as port:
                ids = seed(port, max(args.records, OPEN_LOOP_CLIENTS))
                versions = dict.fromkeys(ids, 1)
                concurrent, open_loop = args.concurrency, OPEN_LOOP_CLIENTS

                def phase(name: str, clients: list[Request], rate: float | None = None) -> Phase:
                    return run_phase(name, port, clients, args.seconds, rate, emulator_pid=emulator_pid)

                phases = [
                    phase(GET, [getter(ids)] * concurrent),
                    phase(f"{GET} at {args.get_rate:g} req/s", [getter(ids)] * open_loop, args.get_rate),
                    phase(PUT, putters(ids, concurrent, versions)),
                    phase(
                        f"{PUT} at {args.put_rate:g} req/s", putters(ids, open_loop, versions), args.put_rate
                    ),
                ]
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "settings": {
            "seconds": args.seconds,
            "concurrency": args.concurrency,
            "open_loop_clients": OPEN_LOOP_CLIENTS,
            "records": len(ids),
            "gunicorn_workers": args.workers,
            "gunicorn_threads": args.threads,
            "backend": "moto emulator on loopback",
        },
        "phases": {p.name: p.summary() for p in phases},
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    for name, s in results["phases"].items():
        print(
            f"{name:24} {s['requests']:7} req  {s['requests_per_second']:8} req/s  "
            f"p50 {s['p50_ms']} ms  p99 {s['p99_ms']} ms  errors {s['errors']}  statuses {s['statuses']}"
            + (f"  missed {s['missed']}" if s["missed"] is not None else "")
        )
    print(f"results: {args.out}")
    return 0


@contextmanager
def _given(endpoint: str) -> Iterator[tuple[str, int | None]]:
    yield endpoint, None  # someone else's process: its CPU time is not ours to read


if __name__ == "__main__":
    sys.exit(main())
