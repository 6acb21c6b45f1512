"""`cityline benchmark`: import peer cities' values and show the comparison (B3.c, C2.c)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cityline.cli import non_negative_int


def add_parser(sub) -> None:
    p = sub.add_parser("benchmark", help="cross-city comparison: import peer cities' indicator values, compare "
                       "(B3.c, C2.c)",
                       description="Import another city's published indicator values (CSV, city pack or another "
                       "Cityline's API; all or nothing) and compare them with the city's KPIs; see "
                       "docs/benchmarking.md.")
    bsub = p.add_subparsers(dest="benchmark_command", metavar="ACTION")
    bsub.required = True
    c = bsub.add_parser("import-csv", help="import ISO 37120/37122/37123/U4SSC values (CSV: city, country, list, "
                        "code, year, value, unit[, population, name])")
    c.add_argument("file", type=Path)
    k = bsub.add_parser("import-pack", help="import the published KPIs of another Cityline's city pack folder")
    k.add_argument("directory", type=Path)
    a = bsub.add_parser("import-api", help="import the published KPIs of a city from another Cityline's API")
    a.add_argument("base", help="the other Cityline's address, e.g. https://cityline.example.org")
    a.add_argument("peer", help="the city's key on that Cityline")
    m = bsub.add_parser("import-assessment", help="import a peer's published ISO 37106 maturity, from another "
                        "Cityline's API (BASE PEER) or from a city of this instance (PEER alone)")
    m.add_argument("target", nargs="+", metavar="[BASE] PEER",
                   help="the other Cityline's address and the city's key there, or only the key of a city hosted "
                        "here")
    s = bsub.add_parser("show", help="print the comparison")
    s.add_argument("--json", action="store_true", help="print JSON instead of text")
    s.add_argument("--max-year-gap", type=non_negative_int, default=1,
                   help="flag values more than this many years apart, 0 or more (1)")
    for q in (c, k, a, m, s):
        q.add_argument("--city", help="city key (needed when the instance hosts several cities)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cityline.cli import _migrate

    _migrate()
    from . import imports, services

    try:
        city = imports.target_city(args.city)
        if args.benchmark_command == "import-csv":
            result = imports.import_csv(city, args.file)
        elif args.benchmark_command == "import-pack":
            result = imports.import_city_pack(city, args.directory)
        elif args.benchmark_command == "import-api":
            result = imports.import_api(city, args.base, args.peer)
        elif args.benchmark_command == "import-assessment":
            if len(args.target) > 2:
                raise imports.BenchmarkImportError(["give BASE PEER (another Cityline) or PEER (this instance)"])
            if len(args.target) == 2:
                pa = imports.import_api_assessment(city, *args.target)
            else:
                pa = imports.import_local_assessment(city, args.target[0])
            print(f"Imported into {city.key}: assessment of {pa.peer.name} on {pa.taken_on.isoformat()}, "
                  f"overall level {pa.level or '-'}")
            return 0
        else:
            data = services.benchmark(city, max_year_gap=args.max_year_gap)
            if args.json:
                print(json.dumps(data, ensure_ascii=False, indent=1))
            else:
                print(render_text(data))
            return 0
    except imports.BenchmarkImportError as exc:
        print(f"Nothing imported. {exc}", file=sys.stderr)
        return 1
    print(f"Imported into {city.key}: {result}")
    return 0


def render_text(data: dict) -> str:
    lines = [f"{data['city_name']}: {data['summary']['compared']} indicators compared with "
             f"{len(data['peers'])} peer cities"]
    for r in data["rows"]:
        pos = f"rank {r['rank']} of {r['group_size']}" if r["rank"] else "not placed"
        lines.append(f"- {r['code']} {r['title']} ({r['unit']}), {r['year']}: {pos}")
        for m in r["members"]:
            mark = "" if m["compared"] else " (not compared)"
            lines.append(f"    {m['rank'] or '-'}. {m['name']}: {m['value']} in {m['year']}, "
                         f"trend {m['trend_per_year']}/year{mark}")
        for w in r["warnings"]:
            lines.append(f"    ! {w['message']}")
    a = data.get("assessment") or {}
    if a.get("members"):
        lines.append("ISO 37106 maturity (score / level): " + " | ".join(
            f"{m['name']} ({m['taken_on']})" for m in a["members"]))
        for row in a["rows"]:
            cells = " | ".join("-" if c["score"] is None else f"{c['score']:.2f} / {c['level']}" for c in row["cells"])
            lines.append(f"- {row['component']}: {cells}")
    return "\n".join(lines)
