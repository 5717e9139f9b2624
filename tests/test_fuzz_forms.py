"""Property-based: whatever an editor (or a forged request) types into any field of any form,
the answer is never a 5xx, and a refused value is shown next to its field."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.editor_helpers import editor_client, make_world
from tracker.editing.forms import FORMS
from tracker.extensions import db

# Text as people and attackers type it: any characters but NUL (refused before any form is
# read, tested elsewhere), including digits in other scripts, long runs and markup.
TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=60),
    st.sampled_from(
        [
            "",
            " ",
            "2019",
            "2019-13",
            "0001-01-01",
            "9999-12-31",
            "٢٠١٩",
            "2019-02-30",
            "<script>alert(1)</script>",
            "javascript:alert(1)",
            "=1+1",
            "-1",
            "1e309",
            "nan",
            "a; b; a",
            "government_use; government_use",
            "x" * 500,
        ]
    ),
)

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _fields(collection: str) -> list[str]:
    """The form's field names (declared on the form class or its bases)."""
    names: list[str] = []
    for cls in FORMS[collection].__mro__:
        for name, value in vars(cls).items():
            if hasattr(value, "field_class") and name not in ("submit",) and name not in names:
                names.append(name)
    return names


@pytest.fixture
def editor(app):
    with app.app_context():
        world = make_world(db.session)
    return editor_client(app), world


@pytest.mark.parametrize("collection", ["events", "measures", "actors", "sources"])
def test_any_value_in_any_create_field_is_never_a_server_error(editor, collection):
    client, world = editor
    names = _fields(collection)

    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), TEXT, min_size=1, max_size=len(names)))
    def post(values):
        response = client.post(f"/{collection}/new", data=values)
        assert response.status_code < 500, values
        if response.status_code == 200:
            assert "field-error" in response.get_data(as_text=True) or "form-error" in response.get_data(
                as_text=True
            )

    post()


def test_any_value_in_the_event_edit_form_is_never_a_server_error(editor):
    client, world = editor
    names = _fields("events")

    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), TEXT, min_size=1, max_size=len(names)))
    def post(values):
        response = client.post(f"/events/{world['event']}/edit", data={"version": "1", **values})
        assert response.status_code < 500, values

    post()
