"""``cityline assess``: the assessment, its snapshots and the gap report from the command line (issue 9)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from .domain import maturity as mat


def _date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"error: {option} {value!r} is not a date (YYYY-MM-DD)") from None


def _past_refusal(on_date: date | None, option: str = "--on") -> str | None:
    """Refuse a date before today: the rules read the records as they are now, and the change history cannot
    give every record as it stood then (the rules follow relations and counts it does not keep), so a past
    date would mix today's records with that day's windows and attestations; snapshots are the past."""
    from django.utils import timezone

    today = timezone.localdate()
    if on_date is not None and on_date < today:
        return (
            f"error: {option} {on_date.isoformat()} is before today ({today.isoformat()}): the assessment reads the "
            "city's records as they are now, so it cannot say how the city stood on a past date. The snapshots "
            "saved on that day are the record of the past: see `cityline assess diff FROM TO`.")
    return None


def _matrix_text(maturity: dict) -> list[str]:
    lines = [f"{'component':<12} {'score':>5}  " + " ".join(f"{lv}" for lv in mat.LEVELS) + "  level"]
    for c in maturity["components"]:
        score = "—" if c["score"] is None else f"{c['score']:.2f}"
        cells = " ".join("■" if cell["reached"] else "·" for cell in c["cells"])
        level = f"{c['level']} {c['level_name']}" if c["level"] else "not assessed"
        lines.append(f"{c['component']:<12} {score:>5}  {cells}  {level}")
    score = "—" if maturity["score"] is None else f"{maturity['score']:.2f}"
    lines.append(f"{'overall':<12} {score:>5}  level {maturity['level'] or '—'}")
    return lines


def run(args) -> int:
    from cityline.benefits.services import resolve_city

    try:
        city = resolve_city(getattr(args, "city", None))
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    command = getattr(args, "assess_command", None)
    if command == "diff":
        return _diff(city, args)
    if command == "report":
        return _report(city, args)
    return _assess(city, args)


def _assess(city, args) -> int:
    from . import services

    from django.utils import timezone

    on_date = _date(args.on, "--on")
    today = timezone.localdate()
    refusal = _past_refusal(on_date)
    if refusal is None and args.save and on_date not in (None, today):
        refusal = (f"error: --save stores today's assessment ({today.isoformat()}) only, not one on "
                   f"{on_date.isoformat()}: a snapshot records how the city stood on the day it was taken")
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    a = services.assess(city, on_date)
    data = a.as_dict()
    if args.save:
        snap = services.take_snapshot(city, a.on_date)
        data["snapshot"] = snap.taken_on.isoformat()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    counts = data["maturity"]["counts"]
    print(f"{city.name}: ISO 37106 self-assessment on {data['on']} — {len(data['results'])} rules: "
          f"{counts['met']} met, {counts['partly_met']} partly met, {counts['not_met']} not met, "
          f"{counts['not_applicable']} not applicable")
    if a.on_date != today:
        print(f"(the city's records as they are today, {today.isoformat()}, judged as on {data['on']}: what falls "
              "due or expires by then shows; nothing recorded after today can)")
    print()
    print("\n".join(_matrix_text(data["maturity"])))
    rows = {r["id"]: r for r in data["results"]}
    print()
    print(f"gaps ({len(data['gaps'])}), most blocking first:" if data["gaps"] else "no gaps")
    for g in data["gaps"]:
        r = rows[g["id"]]
        blocks = f" — holds back {len(g['blocks'])}: {', '.join(g['blocks'])}" if g["blocks"] else ""
        print(f"  {g['id']:<8} {r['outcome_label']:<11} effort {g['effort']}{blocks}")
        print(f"           {r['reason']}")
        if r["next_step"]:
            print(f"           → {r['next_step']}")
    if args.save:
        print(f"\nsnapshot saved for {data['snapshot']}")
    return 0


def _diff(city, args) -> int:
    from .models import Snapshot
    from .services import diff

    snaps = {}
    for option, value in (("FROM", args.from_date), ("TO", args.to_date)):
        day = _date(value, option)
        snap = Snapshot.objects.filter(city=city, taken_on=day).first()
        if snap is None:
            known = ", ".join(d.isoformat() for d in Snapshot.objects.filter(city=city)
                              .order_by("taken_on").values_list("taken_on", flat=True)) or "none"
            print(f"error: no snapshot of {city.key} on {day} (snapshots: {known})", file=sys.stderr)
            return 2
        snaps[option] = snap
    moves = diff(snaps["FROM"], snaps["TO"])
    if getattr(args, "json", False):
        print(json.dumps({"city": city.key, "from": args.from_date, "to": args.to_date,
                          "moved": [m.as_dict() for m in moves]}, ensure_ascii=False, indent=1))
        return 0
    print(f"{city.name}: {len(moves)} rule(s) moved between {args.from_date} and {args.to_date}")
    for m in moves:
        print(f"  {m.id}: {m.before or '—'} → {m.after or '—'}")
        if not m.changes:
            print(f"      {m.explanation}")
        for c in m.changes:
            fields = ", ".join(f["field"] for f in c.fields)
            print(f"      {c.when:%Y-%m-%d %H:%M} {c.kind} {c.model_label} {c.object_repr}"
                  f"{' (' + fields + ')' if fields else ''}{' by ' + c.user if c.user else ''}")
    return 0


def _report(city, args) -> int:
    from . import report

    on_date = _date(getattr(args, "on", None), "--on")
    refusal = _past_refusal(on_date)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():     # say so before the assessment runs, not after
        print(f"error: cannot write the gap report to {out}: folder {out.parent} does not exist", file=sys.stderr)
        return 2
    data = report.gap_report(city, on_date)
    body = report.render(data, args.format)
    if out is not None:
        try:
            out.write_bytes(body)
        except OSError as exc:
            print(f"error: cannot write the gap report to {out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"gap report ({args.format}, {len(data['gaps'])} gaps) written to {args.out}")
    elif args.format == "pdf":
        sys.stdout.buffer.write(body)
    else:
        sys.stdout.write(body.decode("utf-8"))
    return 0
