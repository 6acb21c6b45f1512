"""Generate the second demo city, Brindlemoor: the comparison partner of Kestermouth (issue 9, item 6).

    .venv/bin/python scripts/gen_demo_peer.py            # (re)write cityline/demo/peer-city-pack/
    .venv/bin/python scripts/gen_demo_peer.py --check    # fail if the committed files differ

Brindlemoor is a **fictional** city; its organisations, people and every value are
**synthetic demo data** invented for Cityline. Indicator identifiers and names are real
(ISO 37120:2014 and ITU U4SSC, as shipped in ``cityline/benefits/reference/``).

Like ``gen_demo_benefits.py``, the script writes draft YAML, imports it with the normal
pack importer into a throw-away SQLite database and writes the files with the pack
exporter, so ``cityline pack export`` reproduces them byte for byte.

It has eleven published KPIs on catalogue indicators Kestermouth also tracks, with five
annual values (2021–2025), and three deliberate differences for the comparison to warn
about (docs/benchmarking.md): greenhouse gas emissions in kilograms rather than tonnes
(units differ: not compared), water loss given in "percent" (normalised to "%", so still
compared) and electricity use per capita last published for 2018 (years differ). One
city-defined KPI and one unpublished KPI are never compared. It publishes its ISO 37106
self-assessment (``assessment.yaml``: ``publish: true``), which the demo compares too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "cityline" / "demo" / "peer-city-pack"
SOURCE = "Synthetic demo data (Brindlemoor Borough Council)"

CITY = {
    "key": "brindlemoor", "name": "Brindlemoor", "country": "GB", "population": 164200,
    "description": "Brindlemoor is a fictional inland market city of about 164,000 people, used as the comparison "
                   "partner of the Kestermouth demo city. Everything about it is synthetic.",
    "website": "https://brindlemoor.example.org",
}

ORGANISATIONS = [
    {"key": "bbc", "name": "Brindlemoor Borough Council", "sector": "public",
     "description": "The fictional local authority of Brindlemoor; publishes the city's indicators.",
     "website": "https://council.brindlemoor.example.org"},
    {"key": "brindle-water", "name": "Brindle Valley Water", "sector": "private",
     "description": "Fictional water company serving the city.", "website": "https://water.brindlemoor.example.org"},
    {"key": "moorland-university", "name": "Moorland University", "sector": "academic",
     "description": "Fictional university that audits the city's data.",
     "website": "https://uni.brindlemoor.example.org"},
]

PEOPLE = [
    {"key": "elin-hartley", "name": "Elin Hartley", "role": "Head of Performance and Insight", "organisation": "bbc"},
    {"key": "samir-dallow", "name": "Samir Dallow", "role": "Open Data Lead", "organisation": "bbc"},
]

# key, list, code, indicator name, theme, unit, direction, first value, yearly change, first year, published
KPIS = [
    ("unemployment", "iso37120_2014", "5.1", "City's unemployment rate", "Economy", "%", "lower_is_better",
     5.6, -0.3, 2021, True),
    ("youth-unemployment", "iso37120_2014", "5.5", "Youth unemployment rate", "Economy", "%", "lower_is_better",
     14.9, -0.5, 2021, True),
    ("pt-trips", "iso37120_2014", "18.3", "Annual number of public transport trips per capita", "Transportation",
     "trips per person per year", "higher_is_better", 61.0, 1.5, 2021, True),
    ("non-car-commuters", "iso37120_2014", "18.5",
     "Percentage of commuters using a travel mode to work other than a personal vehicle", "Transportation",
     "% of commuters", "higher_is_better", 35.0, 1.2, 2021, True),
    ("bicycle-lanes", "iso37120_2014", "18.7", "Kilometres of bicycle paths and lanes per 100 000 population",
     "Transportation", "km per 100,000 residents", "higher_is_better", 18.0, 0.6, 2021, True),
    ("domestic-water", "iso37120_2014", "21.4", "Total domestic water consumption per capita (litres/day)",
     "Water and sanitation", "litres per person per day", "lower_is_better", 128.0, -1.0, 2021, True),
    ("water-loss", "iso37120_2014", "21.7", "Percentage of water loss (unaccounted for water)",
     "Water and sanitation", "percent", "lower_is_better", 22.0, -0.8, 2021, True),
    ("ghg-per-capita", "iso37120_2014", "8.3", "Greenhouse gas emissions measured in tonnes per capita",
     "Environment", "kg CO2e per person", "lower_is_better", 5600.0, -150.0, 2021, True),
    ("electricity-per-capita", "iso37120_2014", "7.5", "Total electrical energy use per capita (kWh/year)", "Energy",
     "kWh per person per year", "lower_is_better", 4500.0, -40.0, 2014, True),
    ("life-expectancy", "u4ssc", "SC: EH: H: 1C", "Life Expectancy", "Society and Culture", "years",
     "higher_is_better", 80.4, 0.1, 2021, True),
    ("renewable-energy", "u4ssc", "EN: E: E: 1C", "Renewable Energy Consumption", "Environment", "%",
     "higher_is_better", 18.0, 1.5, 2021, True),
    ("noise-exposure", "u4ssc", "EN: EN: EQ: 2A", "Noise Exposure", "Environment", "% of population",
     "lower_is_better", 14.0, -0.2, 2021, False),
]
CITY_DEFINED = ("market-footfall", "Weekly visitors to the covered market", "Economy", "visitors per week",
                "higher_is_better", 41000.0, 900.0)


def draft() -> dict[str, dict]:
    indicators, kpis, measurements = [], [], []
    for key, source, code, name, theme, unit, direction, first, step, year, published in KPIS:
        ind = f"{source.split('_')[0]}-{code.lower().replace(': ', '-').replace('.', '-')}"
        indicators.append({"key": ind, "source": source, "code": code, "name": name, "theme": theme})
        kpis.append({"key": key, "title": f"{name} (Brindlemoor)", "indicator": ind, "scope": "Brindlemoor",
                     "kind": "outcome", "unit": unit, "direction": direction, "frequency": "annual",
                     "licence": "CC-BY-4.0", "published": published})
        for i in range(5):
            measurements.append({"kpi": key, "period_end": f"{year + i}-12-31", "value": round(first + step * i, 2),
                                 "quality": "ok", "source": SOURCE})
    key, name, theme, unit, direction, first, step = CITY_DEFINED
    indicators.append({"key": "city-" + key, "source": "city", "name": name, "theme": theme,
                       "definition": "Visitors counted at the four market entrances, average week of the year."})
    kpis.append({"key": key, "title": name, "indicator": "city-" + key, "scope": "Brindlemoor", "kind": "outcome",
                 "unit": unit, "direction": direction, "frequency": "annual", "licence": "CC-BY-4.0",
                 "published": True})
    for i in range(5):
        measurements.append({"kpi": key, "period_end": f"{2021 + i}-12-31", "value": first + step * i,
                             "quality": "ok", "source": SOURCE})
    return {
        "pack.yaml": {"format": "cityline-pack", "format_version": 1, "city": CITY},
        "core.yaml": {"organisations": ORGANISATIONS, "people": PEOPLE},
        "benefits.yaml": {"city_indicators": indicators, "kpis": kpis, "measurements": measurements},
        # Brindlemoor publishes its (small) ISO 37106 self-assessment, so Kestermouth's comparison
        # page shows the two maturity matrices side by side (issue 9 item 5).
        "assessment.yaml": {"settings": {"thresholds": {}, "publish": True}},
    }


def setup_django(data_dir: Path) -> None:
    os.environ["CITYLINE_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cityline.settings"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def main(argv: list[str] | None = None) -> int:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files differ from the generated ones")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cityline-peer-") as tmp:
        tmp = Path(tmp)
        setup_django(tmp / "data")
        from cityline.core.packs import PackError, export_pack, import_pack

        src = tmp / "draft"
        src.mkdir()
        for name, data in draft().items():
            (src / name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        try:
            report = import_pack(src, progress=False, trusted=True)
        except PackError as exc:
            print("\n".join(map(str, exc.problems)), file=sys.stderr)
            return 1
        out = tmp / "export"
        export_pack(report.city_key, out)
        files = sorted(p.name for p in out.iterdir())
        if args.check:
            stale = [n for n in files if not (PACK / n).exists() or (PACK / n).read_bytes() != (out / n).read_bytes()]
            if stale:
                print(f"out of date: {', '.join(stale)}; run scripts/gen_demo_peer.py", file=sys.stderr)
                return 1
        else:
            PACK.mkdir(parents=True, exist_ok=True)
            for n in files:
                shutil.copyfile(out / n, PACK / n)
        print(f"{PACK.relative_to(ROOT)}: {', '.join(files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
