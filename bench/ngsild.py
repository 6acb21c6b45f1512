"""Benchmark: NGSI-LD upserts into Cityline (issue 6, performance section), beside Orion-LD's figure.

A real server on loopback (``cityline serve``: waitress, its own process, a fresh SQLite file or
the PostgreSQL database of ``--database-url``) and several client threads, each with its own
keep-alive HTTP connection (httpx), posting to ``/ngsi-ld/v1/entityOperations/upsert``:

(a) single-entity upserts: one AirQualityObserved entity per request (one reading: pm25 with
    ``observedAt``, plus a text ``district``), the entities' readings moving on one minute a request;
(b) batch upserts: ``--batch`` entities per request, each with four numeric attributes
    (pm25, pm10, no2, o3) observed at the same time: attribute values per second.

Every request is checked (201/204), and afterwards the store must hold every reading sent,
exactly once. The figure printed beside ours is the one issue 6 quotes for FIWARE Orion-LD
(about 3,500 updates/s with 2 CPUs for the broker and a separate 16-CPU MongoDB machine);
here the server, its database, the Parquet store and the clients share one 2-core machine.

    .venv/bin/python bench/ngsild.py                         # 4,000 single upserts, 100 batches of 100
    .venv/bin/python bench/ngsild.py --single 500 --batches 10
    .venv/bin/python bench/ngsild.py --database-url postgres://postgres@127.0.0.1:5432/bench_ngsild
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ORION_LD_UPDATES_PER_S = 3500  # issue 6: Orion-LD, 2 CPUs for the broker, a separate 16-CPU database
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: dict) -> str:
    """Migrate, make a city, an administrator and a token (in a child process: settings come from env)."""
    code = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from django.contrib.auth import get_user_model\n"
        "from cityline.core.models import City\n"
        "from cityline.accounts import tokens\n"
        "from cityline.accounts.testing import grant\n"
        "city, _ = City.objects.get_or_create(key='benchville', defaults={'name': 'Benchville'})\n"
        "user, _ = get_user_model().objects.get_or_create(username='bench-sensors')\n"
        "if not user.role_assignments.exists(): grant(user, 'programme_admin', city=city)\n"
        "print(tokens.issue(user, name='bench', scopes=['read', 'write'], trust_level=3)[1])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def aqo(i: int, step: int, batch_attrs: bool) -> dict:
    at = (T0 + timedelta(minutes=step)).strftime("%Y-%m-%dT%H:%M:%SZ")
    entity = {"id": f"urn:ngsi-ld:AirQualityObserved:s{i:05d}", "type": "AirQualityObserved"}
    names = ("pm25", "pm10", "no2", "o3") if batch_attrs else ("pm25",)
    for k, name in enumerate(names):
        entity[name] = {"type": "Property", "value": round(5 + (i * 7 + step * 3 + k) % 40 + 0.5, 1),
                        "observedAt": at, "unitCode": "GQ"}
    if not batch_attrs:
        entity["district"] = {"type": "Property", "value": f"d{i % 10}"}
    return entity


def run(url: str, token: str, jobs: list[list[dict]], threads: int) -> float:
    """Post every job (a list of entities) from ``threads`` keep-alive clients; the elapsed seconds."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    lock, failures = threading.Lock(), []
    cursor = iter(jobs)

    def worker() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            while True:
                with lock:
                    job = next(cursor, None)
                if job is None:
                    return
                r = client.post("/ngsi-ld/v1/entityOperations/upsert", json=job)
                if r.status_code not in (201, 204):
                    with lock:
                        failures.append(f"{r.status_code} {r.text[:300]}")

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return elapsed


def stored(env: dict) -> int:
    code = ("import django; django.setup()\n"
            "from cityline.core.models import City\n"
            "from cityline.observations.registry import store_for\n"
            "print(store_for(City.objects.get(key='benchville')).query('SELECT count(*) FROM observations')[0][0])\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--single", type=int, default=4000, help="single-entity upserts (default 4000)")
    parser.add_argument("--entities", type=int, default=100, help="distinct entities they cycle over (default 100)")
    parser.add_argument("--batches", type=int, default=100, help="batch upserts (default 100)")
    parser.add_argument("--batch", type=int, default=100, help="entities per batch (default 100)")
    parser.add_argument("--clients", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--server-threads", type=int, default=8, help="waitress threads (default 8)")
    parser.add_argument("--warm-up", type=int, default=200, help="requests before timing (default 200)")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--compact-every", default="1", metavar="MINUTES",
                        help="the server's background compaction (cityline serve --compact-every; default 1, its own "
                             "default; 0: never)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ngsild-") as tmp:
        env = {**os.environ, "CITYLINE_DATA_DIR": tmp, "DJANGO_SETTINGS_MODULE": "cityline.settings",
               "CITYLINE_DEFAULT_CITY": "benchville", "PYTHONPATH": str(ROOT)}
        env.pop("CITYLINE_OBSERVATIONS_DIR", None)
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        else:
            env.pop("DATABASE_URL", None)
        token = prepare(env)
        port = free_port()
        log = open(Path(tmp) / "server.log", "w")
        server = subprocess.Popen([sys.executable, "-m", "cityline.cli", "serve", "--port", str(port),
                                   "--threads", str(args.server_threads), "--compact-every", args.compact_every],
                                  env=env, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(f"{url}/ngsi-ld/v1/jsonldContexts/ngsi-ld-core-context-v1.8.jsonld", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            n = args.entities
            # Warm-up (creates the entities and their series: first readings, not timed).
            warm = [[aqo(i % n, -1 - i // n, False)] for i in range(max(args.warm_up, n))]
            run(url, token, warm, args.clients)
            run(url, token, [[aqo(i, -1, True) for i in range(n, n + args.batch)]], 1)
            sent = len(warm) + args.batch * 4

            single = [[aqo(i % n, i // n, False)] for i in range(args.single)]
            t_single = run(url, token, single, args.clients)
            batches = [[aqo(n + j, b, True) for j in range(args.batch)] for b in range(args.batches)]
            t_batch = run(url, token, batches, args.clients)
            sent += args.single + args.batches * args.batch * 4
        except BaseException:
            log.flush()
            print((Path(tmp) / "server.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        held = stored(env)

    per_s = args.single / t_single
    values_per_s = args.batches * args.batch * 4 / t_batch
    db = "PostgreSQL" if args.database_url else "SQLite"
    print(f"NGSI-LD upserts, cityline serve (waitress, {args.server_threads} threads) + {db}, "
          f"{args.clients} keep-alive client threads, all on this machine ({os.cpu_count()} CPUs)")
    print(f"(a) single-entity upserts: {args.single} in {t_single:.2f} s = {per_s:,.0f}/s "
          f"({per_s / ORION_LD_UPDATES_PER_S:.2f}x Orion-LD's ~{ORION_LD_UPDATES_PER_S:,}/s)")
    print(f"(b) batch upserts of {args.batch} entities x 4 attributes: {args.batches} in {t_batch:.2f} s = "
          f"{values_per_s:,.0f} attribute values/s, {args.batches * args.batch / t_batch:,.0f} entity updates/s "
          f"({args.batches * args.batch / t_batch / ORION_LD_UPDATES_PER_S:.2f}x Orion-LD's entity updates/s)")
    print(f"readings sent {sent}, held by the store {held}: {'every one, once' if held == sent else 'MISMATCH'}")
    if held != sent:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
