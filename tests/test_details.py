"""Detail pages take their data from read.details: the HTML page and its JSON twin show the
same record, and a missing slug is a 404 naming it."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.exceptions import NotFound

from tracker.extensions import db
from tracker.read import details


def test_a_measure_detail_holds_its_history_status_and_replacements(shared_loaded_app):
    with shared_loaded_app.app_context():
        d = details.measure_detail(
            db.session, "portland-maine-face-surveillance-ballot-ban-2020", dt.date(2021, 6, 1)
        )
        assert d.history.status == "in_effect"
        assert d.history.periods and d.history.periods[0].status
        older = details.measure_detail(db.session, d.measure.replaces.slug, dt.date(2021, 6, 1))
        assert d.measure in older.replaced_by
        assert older.history.status == "replaced"


def test_html_and_json_of_a_detail_show_the_same_status(shared_client):
    slug = "san-francisco-face-recognition-ban-2019"
    record = shared_client.get(f"/measures/{slug}.json?as_of=2019-05-15").get_json()
    html = shared_client.get(f"/measures/{slug}?as_of=2019-05-15").get_data(as_text=True)
    assert record["status"] not in (None, "in_effect")  # the final vote came on 21 May
    line = html.split('class="status-line"', 1)[1].split("</p>", 1)[0]
    assert f'class="status status-{record["status"]}"' in line


def test_a_missing_slug_is_a_404_naming_it(shared_loaded_app):
    with shared_loaded_app.app_context(), pytest.raises(NotFound, match="no-such-thing"):
        details.event_detail(db.session, "no-such-thing", dt.date(2020, 1, 1))
