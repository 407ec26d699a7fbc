"""Open data: pagination, bad parameters, caching headers, CSV and an accurate OpenAPI."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from citizenvoice.disclosure.opendata import DATASETS, MIN_CELL


def _check(schema: dict[str, Any], value: Any, where: str = "$") -> None:
    """A small JSON Schema check for the shapes the OpenAPI document uses."""
    types = schema.get("type")
    if types is not None:
        allowed = types if isinstance(types, list) else [types]
        python = {
            "string": str,
            "integer": int,
            "number": (int, float),
            "boolean": bool,
            "null": type(None),
            "object": dict,
            "array": list,
        }
        ok = any(
            isinstance(value, python[t])
            and not (t in ("integer", "number") and isinstance(value, bool))
            for t in allowed
        )
        assert ok, f"{where}: {value!r} is not {allowed}"
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing {name}"
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(properties), f"{where}: extra {set(value) - set(properties)}"
        for name, sub in properties.items():
            if name in value:
                _check(sub, value[name], f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(schema["items"], item, f"{where}[{i}]")


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _resolve(document, document["components"]["schemas"][name])
    resolved = dict(schema)
    if "properties" in resolved:
        resolved["properties"] = {k: _resolve(document, v) for k, v in schema["properties"].items()}
    if "items" in resolved:
        resolved["items"] = _resolve(document, schema["items"])
    return resolved


LISTS = [
    "/api/v1/units",
    "/api/v1/services",
    "/api/v1/service-points",
    "/api/v1/cycles",
    "/api/v1/cycles/2026-q3/results",
    "/api/v1/cycles/2026-q3/indicators",
    "/api/v1/units/bureau/results",
    "/api/v1/publications",
    "/api/v1/rating-aggregates",
]


def test_every_list_matches_its_documented_schema(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    for url in LISTS:
        response = client.get(url)
        assert response.status_code == 200, url
        path = "/" + url.removeprefix("/api/v1/")
        path = re.sub(r"^/cycles/[^/]+/", "/cycles/{code}/", path)
        path = re.sub(r"^/units/[^/]+/results", "/units/{code}/results", path)
        schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        body = response.get_json()
        _check(_resolve(document, schema["schema"]), body, url)
        assert body["data"], f"{url} returned no rows in the published example"


def test_openapi_describes_every_open_data_route(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = set(document["paths"])
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("open_data."):
            path = rule.rule.removeprefix("/api/v1")
            path = re.sub(r"<(?:int:)?(\w+)>", r"{\1}", path) or "/"
            assert path in documented, path
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    for name in DATASETS:
        assert name in document["components"]["schemas"]


def test_dictionary_lists_every_field(client: FlaskClient) -> None:
    dictionary = client.get("/api/v1/dictionary").get_json()
    assert set(dictionary) == set(DATASETS)
    for name, dataset in DATASETS.items():
        assert [f["name"] for f in dictionary[name]["fields"]] == dataset.columns
        assert all(f["description"] for f in dictionary[name]["fields"])


def test_pagination_and_link_header(client: FlaskClient, published: dict[str, Any]) -> None:
    everything = client.get("/api/v1/cycles/2026-q3/indicators").get_json()
    total = everything["meta"]["total"]
    assert total == len(everything["data"]) > 2
    first = client.get("/api/v1/cycles/2026-q3/indicators?limit=2")
    body = first.get_json()
    assert len(body["data"]) == 2 and body["meta"]["next_offset"] == 2
    assert 'rel="next"' in first.headers["Link"] and "offset=2" in first.headers["Link"]
    assert first.headers["X-Total-Count"] == str(total)
    rest = client.get(f"/api/v1/cycles/2026-q3/indicators?limit=1000&offset={total - 1}")
    assert len(rest.get_json()["data"]) == 1 and rest.get_json()["meta"]["next_offset"] is None
    beyond = client.get("/api/v1/cycles/2026-q3/indicators?offset=1000000000").get_json()
    assert beyond["data"] == []


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=1001",
        "limit=abc",
        "limit=-1",
        "limit=1.5",
        "limit=",
        "offset=-1",
        "offset=1e3",
        "offset=99999999999",
        "format=xml",
        "version=0",
        "version=x",
        "limit=%00",
        "limit=" + "9" * 400,
    ],
)
def test_bad_parameters_are_400_json(
    client: FlaskClient, published: dict[str, Any], query: str
) -> None:
    response = client.get(f"/api/v1/cycles/2026-q3/results?{query}")
    assert response.status_code == 400
    assert response.is_json and response.get_json()["status"] == 400


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13",
        "to=26-01",
        "from=2026-1",
        "from=0000-01",
        "from=",
        "point=",
        "point=a%20b",
        "unit=" + "u" * 61,
        "point=%3Cscript%3E",
    ],
)
def test_bad_filters_are_400_json(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/v1/rating-aggregates?{query}")
    assert response.status_code == 400 and response.is_json


def test_unknown_things_are_404_json(client: FlaskClient, published: dict[str, Any]) -> None:
    for url in (
        "/api/v1/cycles/nope/results",
        "/api/v1/cycles/2026-q3/results?version=9",
        "/api/v1/cycles/2026-q3/snapshots/2",
        "/api/v1/units/nope/results",
        "/api/v1/cycles/%3Cx%3E/results",
        "/api/v1/nothing",
    ):
        response = client.get(url)
        assert response.status_code == 404 and response.is_json, url


def test_etag_and_last_modified(client: FlaskClient, published: dict[str, Any]) -> None:
    for url in [*LISTS, "/api/v1/cycles/2026-q3/snapshots/1", "/api/v1/openapi.json"]:
        first = client.get(url)
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.data == b""
    results = client.get("/api/v1/cycles/2026-q3/results")
    assert results.headers["Last-Modified"]
    since = client.get(
        "/api/v1/cycles/2026-q3/results",
        headers={"If-Modified-Since": results.headers["Last-Modified"]},
    )
    assert since.status_code == 304
    other = client.get("/api/v1/cycles/2026-q3/results?limit=1")
    assert other.headers["ETag"] != results.headers["ETag"]


def test_csv_variants_have_the_documented_columns(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    pairs = [
        ("/api/v1/units", "units"),
        ("/api/v1/cycles/2026-q3/results", "results"),
        ("/api/v1/cycles/2026-q3/indicators", "indicator_results"),
        ("/api/v1/rating-aggregates", "rating_aggregates"),
    ]
    for url, dataset in pairs:
        response = client.get(url + "?format=csv")
        assert response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0] == DATASETS[dataset].columns
        json_rows = client.get(url).get_json()["data"]
        assert len(rows) - 1 == len(json_rows)


def test_snapshot_bytes_hash_to_the_published_hash(
    client: FlaskClient, published: dict[str, Any]
) -> None:
    listing = client.get("/api/v1/publications").get_json()["data"]
    assert len(listing) == 1
    record = listing[0]
    body = client.get(record["snapshot_url"].removeprefix("http://localhost")).data
    assert hashlib.sha256(body).hexdigest() == record["sha256"]
    assert record["audit_seq"] and record["audit_hash"]


def test_rating_aggregates_are_monthly_counts_without_individual_data(
    client: FlaskClient, published: dict[str, Any], add_ratings: Any
) -> None:
    from datetime import datetime

    point = published["sub_point"]
    add_ratings(point, {5: MIN_CELL - 1}, when=datetime(2026, 9, 2, 10))
    rows = client.get("/api/v1/rating-aggregates").get_json()["data"]
    main = next(r for r in rows if r["point_code"] == published["point"].code)
    assert main["month"] == "2026-08" and main["ratings"] == 50
    assert (
        main["very_satisfied"],
        main["satisfied"],
        main["basically_satisfied"],
        main["dissatisfied"],
        main["very_dissatisfied"],
    ) == (30, 10, 5, 5, 0)
    assert main["mean_points"] == pytest.approx((30 * 100 + 10 * 75 + 5 * 50 + 5 * 25) / 50)
    small = next(r for r in rows if r["point_code"] == point.code)
    assert small["ratings"] == MIN_CELL - 1 and small["very_satisfied"] is None
    assert small["mean_points"] is None
    only = client.get(f"/api/v1/rating-aggregates?point={point.code}&from=2026-09&to=2026-09")
    assert [r["point_code"] for r in only.get_json()["data"]] == [point.code]
    assert client.get("/api/v1/rating-aggregates?to=2026-07").get_json()["data"] == []
    everything = client.get("/api/v1/rating-aggregates?from=0001-01&to=9999-12").get_json()
    assert everything["meta"]["total"] == len(rows)
