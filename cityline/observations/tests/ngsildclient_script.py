"""Drives Cityline's NGSI-LD endpoints with the real ngsildclient (0.5.2, sync Client).

Run by test_ngsildclient.py under ``.venv-ngsild/bin/python`` (ngsildclient's pins clash with
Cityline's, so it has a virtual environment of its own): ``ngsildclient_script.py PORT TENANT``
with the API token in the environment variable ``CITYLINE_TOKEN``. Prints one JSON document
of what the client saw, which the test checks against the store. No Django here.
"""

import json
import os
import sys
from datetime import datetime, timezone

from ngsildclient import Client, Entity
from requests.auth import AuthBase


class Bearer(AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def aqo(name: str, pm25: float, hour: int, district: str) -> Entity:
    entity = Entity("AirQualityObserved", name)
    entity.prop("pm25", pm25, unitcode="GQ", observedat=datetime(2026, 3, 1, hour, tzinfo=timezone.utc))
    entity.prop("district", district)
    return entity


def main() -> None:
    port, tenant = int(sys.argv[1]), sys.argv[2]
    seen = {}
    with Client(hostname="127.0.0.1", port=port, tenant=tenant, custom_auth=Bearer(os.environ["CITYLINE_TOKEN"]),
                verbose=False) as client:
        seen["created"] = client.create(aqo("quay", 31.5, 8, "harbour"))
        batch = client.upsert([aqo("quay", 28.0, 9, "harbour"), aqo("mill-lane", 12.0, 9, "mill"),
                               aqo("dock", 26.5, 9, "harbour")])
        seen["upsert"] = {"ok": batch.ok, "success": sorted(batch.success), "errors": batch.errors}
        again = client.upsert([aqo("quay", 28.0, 9, "harbour")])  # the same reading again
        seen["upsert_again"] = {"ok": again.ok, "success": again.success}
        got = client.get("urn:ngsi-ld:AirQualityObserved:quay")
        seen["get"] = {"id": got.id, "type": got.type, "pm25": got["pm25"]["value"],
                       "observedAt": got["pm25"]["observedAt"], "district": got["district"]["value"]}
        seen["query"] = sorted(e.id for e in client.query(type="AirQualityObserved"))
        seen["query_q"] = sorted(e.id for e in client.query(type="AirQualityObserved",
                                                            q='pm25>25;district=="harbour"'))
        seen["count"] = client.count(type="AirQualityObserved")
        seen["temporal"] = client.temporal.get("urn:ngsi-ld:AirQualityObserved:quay", attrs=["pm25"])
        seen["exists_missing"] = client.exists("urn:ngsi-ld:AirQualityObserved:nowhere")
    print(json.dumps(seen, default=str))


if __name__ == "__main__":
    main()
