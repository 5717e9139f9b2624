"""Status on a date: the Decisions table of DESIGN.md, on the real cases."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.status import Period, Step, in_effect_periods, lifecycle, measures_in_effect, status_on

D = dt.date

AMAZON = [Step(D(2020, 6, 10), "adopted"), Step(D(2021, 5, 18), "extended", None)]
AMAZON_SUNSET = D(2021, 6, 10)
AB1215 = [Step(D(2019, 10, 8), "adopted"), Step(D(2023, 1, 1), "expired")]
NEW_ORLEANS = [Step(D(2020, 12, 17), "adopted"), Step(D(2022, 7, 21), "repealed")]
VIRGINIA_2021 = [Step(D(2021, 4, 7), "adopted"), Step(D(2022, 4, 27), "repealed")]
VIRGINIA_2022 = [Step(D(2022, 4, 27), "adopted")]


def test_amazon_moratorium_extended_indefinitely_is_in_effect_after_its_first_sunset():
    assert status_on(AMAZON, D(2020, 6, 9), AMAZON_SUNSET) is None
    assert status_on(AMAZON, D(2020, 6, 10), AMAZON_SUNSET) == "in_effect"
    assert status_on(AMAZON, D(2021, 6, 11), AMAZON_SUNSET) == "in_effect"
    assert status_on(AMAZON, D(2030, 1, 1), AMAZON_SUNSET) == "in_effect"


def test_amazon_moratorium_without_the_extension_would_have_expired_on_its_sunset():
    one_year = AMAZON[:1]
    assert status_on(one_year, D(2021, 6, 9), AMAZON_SUNSET) == "in_effect"
    assert status_on(one_year, D(2021, 6, 10), AMAZON_SUNSET) == "expired"


def test_california_ab1215_expired_on_its_sunset():
    sunset = D(2023, 1, 1)
    assert status_on(AB1215, D(2022, 12, 31), sunset) == "in_effect"
    assert status_on(AB1215, D(2023, 1, 1), sunset) == "expired"
    assert status_on(AB1215, D(2023, 6, 1), sunset) == "expired"
    # The sunset alone, without an `expired` event, ends it too.
    assert status_on(AB1215[:1], D(2023, 6, 1), sunset) == "expired"


def test_new_orleans_ban_repealed_in_2022():
    assert status_on(NEW_ORLEANS, D(2021, 1, 1)) == "in_effect"
    assert status_on(NEW_ORLEANS, D(2022, 7, 20)) == "in_effect"
    assert status_on(NEW_ORLEANS, D(2022, 7, 21)) == "repealed"


def test_virginia_2021_ban_replaced_by_2022_law():
    assert status_on(VIRGINIA_2021, D(2021, 1, 1)) is None
    assert status_on(VIRGINIA_2021, D(2021, 7, 1)) == "in_effect"
    assert status_on(VIRGINIA_2021, D(2022, 5, 1)) == "repealed"
    assert status_on(VIRGINIA_2022, D(2022, 5, 1)) == "in_effect"


def test_bill_introduced_and_never_passed_stays_pending():
    bill = [Step(D(2020, 6, 25), "introduced"), Step(D(2020, 9, 1), "hearing")]
    assert status_on(bill, D(2020, 6, 24)) is None
    assert status_on(bill, D(2025, 1, 1)) == "pending"


def test_vetoed_bill_failed():
    bill = [Step(D(2020, 12, 1), "passed"), Step(D(2020, 12, 10), "vetoed")]
    assert status_on(bill, D(2020, 12, 5)) == "passed"
    assert status_on(bill, D(2020, 12, 10)) == "failed"


def test_veto_overridden_brings_it_into_effect():
    bill = [Step(D(2020, 1, 1), "passed"), Step(D(2020, 1, 5), "vetoed"),
            Step(D(2020, 2, 1), "veto_overridden")]
    assert status_on(bill, D(2020, 2, 1)) == "in_effect"


def test_adopted_waits_for_a_later_effective_date():
    law = [Step(D(2024, 8, 1), "adopted"), Step(D(2025, 2, 2), "effective")]
    assert status_on(law, D(2024, 9, 1)) == "adopted"
    assert status_on(law, D(2025, 2, 2)) == "in_effect"


def test_same_day_events_apply_in_lifecycle_order():
    # Listed out of order: introduced, passed and adopted on one day end adopted→in_effect.
    same_day = [Step(D(2021, 1, 1), "adopted"), Step(D(2021, 1, 1), "introduced"),
                Step(D(2021, 1, 1), "passed")]
    assert status_on(same_day, D(2021, 1, 1)) == "in_effect"
    repeal_same_day = [Step(D(2021, 1, 1), "repealed"), Step(D(2021, 1, 1), "adopted")]
    assert status_on(repeal_same_day, D(2021, 1, 1)) == "repealed"


def test_extension_to_a_new_sunset():
    steps = [Step(D(2021, 6, 14), "adopted"), Step(D(2022, 6, 1), "extended", D(2023, 1, 1))]
    sunset = D(2022, 12, 1)
    assert status_on(steps, D(2022, 12, 15), sunset) == "in_effect"
    assert status_on(steps, D(2023, 1, 1), sunset) == "expired"


def test_struck_down_and_amended():
    steps = [Step(D(2020, 1, 1), "adopted"), Step(D(2020, 6, 1), "amended"),
             Step(D(2021, 1, 1), "struck_down")]
    assert status_on(steps, D(2020, 7, 1)) == "in_effect"
    assert status_on(steps, D(2021, 1, 1)) == "struck_down"


def test_lifecycle_periods_and_in_effect_periods():
    periods = lifecycle(AB1215, D(2023, 1, 1))
    assert periods == [
        Period("in_effect", D(2019, 10, 8), D(2023, 1, 1)),
        Period("expired", D(2023, 1, 1), None),
    ]
    assert in_effect_periods(NEW_ORLEANS) == [Period("in_effect", D(2020, 12, 17), D(2022, 7, 21))]
    assert lifecycle([]) == []


def test_measures_in_effect_on_a_date():
    measures = {1: (AMAZON, AMAZON_SUNSET), 2: (AB1215, D(2023, 1, 1)), 3: (NEW_ORLEANS, None),
                4: (VIRGINIA_2021, None)}
    assert measures_in_effect(measures, D(2021, 1, 1)) == {1, 2, 3}
    assert measures_in_effect(measures, D(2023, 6, 1)) == {1}


@pytest.mark.parametrize(
    "slug,day,expected",
    [
        ("amazon-rekognition-police-moratorium-2020", D(2021, 6, 11), "in_effect"),
        ("california-body-camera-biometric-moratorium-2019", D(2023, 6, 1), "expired"),
        ("california-body-camera-biometric-moratorium-2019", D(2021, 6, 1), "in_effect"),
        ("new-orleans-surveillance-technology-ban-2020", D(2021, 6, 1), "in_effect"),
        ("new-orleans-surveillance-technology-ban-2020", D(2022, 8, 1), "repealed"),
        ("virginia-police-facial-recognition-ban-2021", D(2021, 1, 1), None),
        ("virginia-police-facial-recognition-ban-2021", D(2022, 5, 1), "repealed"),
        ("virginia-police-facial-recognition-law-2022", D(2022, 8, 1), "in_effect"),
        ("massachusetts-face-recognition-ban-proposal-2020", D(2021, 1, 1), "failed"),
        ("facial-recognition-biometric-moratorium-act-2020", D(2021, 1, 1), "pending"),
    ],
)
def test_real_measures_from_the_dataset(loaded_app, slug, day, expected):
    """The same answers from the loaded data, on both engines."""
    from sqlalchemy import select

    from tracker.extensions import db
    from tracker.models import Measure
    from tracker.queries import measure_statuses

    with loaded_app.app_context():
        measure = db.session.scalars(select(Measure).where(Measure.slug == slug)).one()
        assert measure_statuses(db.session, day, [measure.id])[measure.id] == expected
