"""Feeds, the data package, the OpenAPI description, caching and CORS (on the real data)."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile

import frictionless

ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_follows_the_same_filters(shared_client):
    response = shared_client.get("/events.atom?measure_type=ban&region=US-CA&per_page=5")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert "bans in US-CA" in feed.find(f"{ATOM}title").text or "California" in feed.find(f"{ATOM}title").text
    entries = feed.findall(f"{ATOM}entry")
    assert 0 < len(entries) <= 5
    json_items = shared_client.get("/events.json?measure_type=ban&region=US-CA&per_page=5").get_json()
    assert [e.find(f"{ATOM}id").text.rsplit("/", 1)[1] for e in entries] == [
        i["slug"] for i in json_items["items"]
    ]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert shared_client.get("/events.atom?kind=nope").status_code == 400


def test_data_package_is_frictionless_and_versioned_by_content(shared_client):
    response = shared_client.get("/data-package.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {
        "datapackage.json",
        "events.csv",
        "measures.csv",
        "actors.csv",
        "sources.csv",
        "citations.csv",
        "technologies.csv",
        "CITATION.txt",
    } <= names
    assert any(n.startswith("sources/") and n.endswith(".txt") for n in names)
    package = json.loads(archive.read("datapackage.json"))
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert re.fullmatch(r"[0-9a-f]{12}", package["version"])
    assert package["version"] in package["citation"]
    assert archive.read("CITATION.txt").decode().strip() == package["citation"]
    # Streamed: the name and header carry the database's data version, known before the
    # first byte; the content's own version is inside.
    data_version = response.headers["X-Data-Version"]
    assert re.fullmatch(r"\d+", data_version)
    assert f"surveillance-policy-tracker-data-{data_version}.zip" in response.headers["Content-Disposition"]
    events = next(r for r in package["resources"] if r["name"] == "events")
    assert events["schema"]["primaryKey"] == ["slug"]
    assert {"fields": "measure", "reference": {"resource": "measures", "fields": "slug"}} in events["schema"][
        "foreignKeys"
    ]
    kind = next(f for f in events["schema"]["fields"] if f["name"] == "kind")
    assert "adopted" in kind["constraints"]["enum"]
    # The package's CSVs are the raw data files, byte for byte.
    from .conftest import DATA_DIR

    assert archive.read("events.csv") == (DATA_DIR / "events.csv").read_bytes()
    again = zipfile.ZipFile(io.BytesIO(shared_client.get("/data-package.zip").data))
    repeated = json.loads(again.read("datapackage.json"))
    assert (repeated["version"], repeated["created"]) == (package["version"], package["created"])
    # RFC 3339, as Frictionless requires (a bare date is rejected).
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", package["created"])


def test_data_package_is_sent_a_table_at_a_time(shared_client, monkeypatch):
    """The first piece is the first table's zip entry, sent before the other tables are
    read (the first byte of a large package waited for the whole archive before)."""
    # As computed, not as the shared cache replays it (whole, from a file).
    monkeypatch.setitem(shared_client.application.config, "RESPONSE_CACHE_DIR", "")
    response = shared_client.get("/data-package.zip", buffered=False)
    pieces = iter(response.response)
    first = next(pieces)
    assert first.startswith(b"PK\x03\x04")  # a local file header: an entry, not the directory
    assert b"actors.csv" in first and b"events.csv" not in first
    rest = list(pieces)
    response.close()
    assert len(rest) > 5
    archive = zipfile.ZipFile(io.BytesIO(first + b"".join(rest)))
    assert archive.testzip() is None
    assert archive.namelist()[-2:] == ["datapackage.json", "CITATION.txt"]


def test_data_package_passes_frictionless_validation(shared_client, tmp_path):
    """The unzipped package validates with the Frictionless framework: schemas, types,
    enums, primary and foreign keys, hashes and byte counts."""
    archive = zipfile.ZipFile(io.BytesIO(shared_client.get("/data-package.zip").data))
    archive.extractall(tmp_path)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    errors = [e.message for task in report.tasks for e in task.errors] + [e.message for e in report.errors]
    assert report.valid, errors[:5]


def test_openapi_describes_every_list_and_parameter(shared_client):
    spec = shared_client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for collection in ("events", "measures", "sources", "actors"):
        for suffix in (".json", ".csv"):
            assert f"/{collection}{suffix}" in spec["paths"]
        assert f"/{collection}/{{slug}}.json" in spec["paths"]
    names = {p["name"] for p in spec["paths"]["/events.json"]["get"]["parameters"]}
    assert names == {
        "q",
        "kind",
        "measure_type",
        "status",
        "technology",
        "actor",
        "country",
        "region",
        "date_from",
        "date_to",
        "as_of",
        "sort",
        "page",
        "per_page",
    }
    assert "/events.atom" in spec["paths"] and "/data-package.zip" in spec["paths"]


def test_openapi_validates():
    from openapi_spec_validator import validate

    from tracker.render.openapi import build_spec

    validate(build_spec("http://localhost"))


def test_etag_and_304_and_cors(shared_client):
    first = shared_client.get("/events.json?kind=adopted")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert "Last-Modified" in first.headers
    second = shared_client.get("/events.json?kind=adopted", headers={"If-None-Match": etag})
    assert second.status_code == 304
    assert second.data == b""
    other = shared_client.get("/events.json?kind=repealed", headers={"If-None-Match": etag})
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in shared_client.get("/events").headers


def test_etag_changes_with_the_date(shared_client, monkeypatch):
    import datetime as dt

    from tracker.web import caching

    etag = shared_client.get("/measures.json").headers["ETag"]
    monkeypatch.setattr(caching, "today", lambda: dt.date(2099, 1, 1))
    response = shared_client.get("/measures.json", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag


def test_the_data_package_refuses_parameters_it_does_not_take(shared_client):
    response = shared_client.get("/data-package.zip?x=1")
    assert response.status_code == 400
    assert "x" in response.get_data(as_text=True)
