"""The collection registry (tracker.read.collections): every collection has every part the
layers need, so adding one cannot forget a place."""

from __future__ import annotations

import pytest

from tracker.db import models, search
from tracker.editing.forms import FORMS
from tracker.read.collections import COLLECTIONS, EVENTS, LISTED, MEASURES, listing
from tracker.render.exports import FORMATS

TEMPLATES = models.__file__.rsplit("/db/", 1)[0] + "/templates/browse"


def test_the_registry_names_the_collections_the_database_accepts():
    # RevisionChange.collection and Correction.collection are checked against this tuple.
    assert sorted(COLLECTIONS) == sorted(models.COLLECTIONS)
    assert set(LISTED) <= set(COLLECTIONS)
    assert [c for c in COLLECTIONS if c not in LISTED] == ["citations"]


@pytest.mark.parametrize("name", list(LISTED))
def test_every_listed_collection_has_its_parts_in_every_layer(name):
    c = LISTED[name]
    spec = listing(c)
    assert c.model.__tablename__ == name
    assert FORMATS[name].csv_columns, "a JSON and CSV shape (render.exports.FORMATS)"
    assert name in FORMS, "an editor form (editing.forms.FORMS)"
    assert name in search.INDEXED, "a search index (db.search.INDEXED)"
    assert spec.default_sort in spec.sorts
    assert {"q", "sort", "page", "per_page"} <= spec.params
    assert ("kind" in spec.params) == (spec.kind is not None)
    # A facet is a filter the list accepts (clicking it adds the parameter).
    assert set(spec.facets) <= spec.params
    assert spec.statuses == ("status" in spec.params)
    with open(f"{TEMPLATES}/{name}.html", encoding="utf-8"):
        pass


def test_every_collection_has_its_public_and_editor_pages(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for name, c in COLLECTIONS.items():
        assert f"editor.edit_{name}" in endpoints
        assert f"editor.history_{name}" in endpoints
        if c.listing is not None:
            assert {c.list_endpoint, f"{c.list_endpoint}_json", f"{c.list_endpoint}_csv"} <= endpoints
            assert c.detail_endpoint in endpoints
        else:
            assert c.detail_endpoint is None


def test_collections_are_found_by_model_and_know_their_rows_measure():
    assert COLLECTIONS.of_model(models.Citation).name == "citations"
    with pytest.raises(KeyError):
        COLLECTIONS.of_model(models.Technology)
    with pytest.raises(KeyError):
        listing(COLLECTIONS["citations"])

    class Row:
        id = 7
        measure_id = 3

    assert MEASURES.measure_id(Row()) == 7
    assert EVENTS.measure_id(Row()) == 3
    assert str(EVENTS) == "events"
