"""Status on a date: the status rules of docs/architecture.md, each on the real case that
made it necessary (pure functions here; the same cases on the loaded dataset, on both
engines, at the end)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tracker.core.status import (
    Change,
    Period,
    Step,
    applies_on,
    apply_replacements,
    clip,
    coverage,
    covers,
    first_in_force,
    lifecycle,
    period_end,
    scope_on,
    status_in,
    status_on,
)
from tracker.db.models import Measure
from tracker.extensions import db
from tracker.read.lifecycles import measure_lifecycles, measure_statuses

D = dt.date

AMAZON = [Step(D(2020, 6, 10), "adopted"), Step(D(2021, 5, 18), "extended", None)]
AMAZON_SUNSET = D(2021, 6, 10)
AB1215 = [Step(D(2019, 10, 8), "adopted"), Step(D(2023, 1, 1), "expired")]


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


# --- end of session ---------------------------------------------------------------------

CONGRESS_116_END = D(2021, 1, 3)
CONGRESS_117_END = D(2023, 1, 3)


def test_a_bill_of_the_116th_congress_failed_the_day_after_it_ended():
    # The Facial Recognition and Biometric Technology Moratorium Act of 2020 (S. 4084).
    bill = [Step(D(2020, 6, 25), "introduced")]
    assert status_on(bill, D(2021, 1, 3), session_end=CONGRESS_116_END) == "pending"
    assert status_on(bill, D(2021, 1, 4), session_end=CONGRESS_116_END) == "failed"
    assert lifecycle(bill, session_end=CONGRESS_116_END) == [
        Period("pending", D(2020, 6, 25), D(2021, 1, 4)),
        Period("failed", D(2021, 1, 4), None),
    ]


def test_a_bill_that_passed_one_chamber_of_the_117th_congress_failed_with_it():
    # The George Floyd Justice in Policing Act of 2021 passed the House, never the Senate.
    bill = [Step(D(2021, 2, 24), "introduced"), Step(D(2021, 3, 3), "passed_chamber")]
    assert status_on(bill, D(2022, 6, 1), session_end=CONGRESS_117_END) == "pending"
    assert status_on(bill, D(2023, 1, 4), session_end=CONGRESS_117_END) == "failed"


def test_a_bill_passed_but_unsigned_when_its_session_ended_failed():
    bill = [Step(D(2020, 12, 1), "passed")]
    assert status_on(bill, D(2021, 1, 4), session_end=CONGRESS_116_END) == "failed"


def test_a_bill_enacted_within_its_session_is_not_failed_by_its_end():
    law = [Step(D(2020, 6, 1), "introduced"), Step(D(2020, 12, 1), "adopted")]
    assert status_on(law, D(2021, 6, 1), session_end=CONGRESS_116_END) == "in_effect"
    signed_later = [
        Step(D(2020, 6, 1), "introduced"),
        Step(D(2020, 12, 1), "adopted"),
        Step(D(2021, 7, 1), "effective"),
    ]
    assert status_on(signed_later, D(2021, 2, 1), session_end=CONGRESS_116_END) == "adopted"


def test_a_bill_vetoed_before_its_session_ended_stays_failed():
    bill = [Step(D(2020, 12, 1), "passed"), Step(D(2020, 12, 10), "vetoed")]
    assert lifecycle(bill, session_end=CONGRESS_116_END)[-1] == Period("failed", D(2020, 12, 10), None)


def test_without_a_recorded_session_a_bill_stays_pending():
    bill = [Step(D(2020, 6, 25), "introduced"), Step(D(2020, 9, 1), "hearing")]
    assert status_on(bill, D(2020, 6, 24)) is None
    assert status_on(bill, D(2025, 1, 1)) == "pending"


# --- first and final votes ------------------------------------------------------------


def test_san_francisco_first_reading_is_not_adoption():
    # First reading 14 May 2019 (8-1), final passage 21 May 2019.
    ordinance = [Step(D(2019, 5, 14), "first_reading"), Step(D(2019, 5, 21), "adopted")]
    assert status_on(ordinance, D(2019, 5, 15)) == "pending"
    assert status_on(ordinance, D(2019, 5, 21)) == "in_effect"


def test_washington_sb6280_adopted_at_signature_in_effect_when_it_took_effect():
    law = [Step(D(2020, 3, 31), "adopted"), Step(D(2021, 7, 1), "effective")]
    assert status_on(law, D(2020, 6, 1)) == "adopted"
    assert status_on(law, D(2021, 8, 1)) == "in_effect"


# --- expiry at precision -----------------------------------------------------------------


def test_period_end_is_the_first_day_after_a_partial_date():
    assert period_end(D(2022, 12, 1), "month") == D(2023, 1, 1)
    assert period_end(D(2022, 2, 1), "month") == D(2022, 3, 1)
    assert period_end(D(2025, 1, 1), "year") == D(2026, 1, 1)
    assert period_end(D(2025, 1, 1), "day") == D(2025, 1, 2)


def test_baltimore_moratorium_expiring_in_december_2022_ran_until_its_sunset():
    sunset = D(2023, 1, 1)
    steps = [
        Step(D(2021, 6, 14), "passed"),
        Step(D(2021, 8, 9), "adopted"),
        Step(D(2021, 9, 1), "effective", precision="month"),
        Step(D(2022, 12, 1), "expired", precision="month"),
    ]
    assert status_on(steps, D(2022, 12, 15), sunset) == "in_effect"
    assert status_on(steps, D(2023, 1, 1), sunset) == "expired"
    assert status_on(steps, D(2023, 2, 1), sunset) == "expired"


def test_an_expiry_known_to_the_month_with_no_sunset_ends_after_that_month():
    steps = [Step(D(2021, 1, 1), "adopted"), Step(D(2022, 12, 1), "expired", precision="month")]
    assert status_on(steps, D(2022, 12, 31)) == "in_effect"
    assert status_on(steps, D(2023, 1, 1)) == "expired"


def test_a_sunset_inside_the_month_of_an_expiry_ends_the_measure_on_the_sunset():
    step = Step(D(2022, 12, 1), "expired", precision="month")
    assert applies_on(step, D(2022, 12, 15)) == D(2022, 12, 15)
    assert applies_on(step, D(2024, 1, 1)) == D(2023, 1, 1)


def test_jackson_repeal_known_only_to_the_year_applies_after_that_year():
    steps = [Step(D(2020, 8, 18), "adopted"), Step(D(2025, 1, 1), "repealed", precision="year")]
    assert status_on(steps, D(2025, 6, 1)) == "in_effect"
    assert status_on(steps, D(2026, 1, 1)) == "repealed"


def test_a_start_known_to_the_month_still_counts_from_its_first_day():
    steps = [Step(D(2021, 9, 1), "adopted", precision="month")]
    assert status_on(steps, D(2021, 9, 1)) == "in_effect"


# --- replacement -----------------------------------------------------------------------------


def test_portland_maine_council_ban_ends_when_the_ballot_ban_takes_effect():
    council = lifecycle([Step(D(2020, 8, 3), "adopted")])
    ballot = lifecycle([Step(D(2020, 11, 3), "adopted"), Step(D(2020, 12, 3), "effective")])
    out = apply_replacements({1: council, 2: ballot}, {2: 1})
    assert status_in(out[1], D(2020, 12, 2)) == "in_effect"
    assert status_in(out[1], D(2020, 12, 3)) == "replaced"
    assert status_in(out[2], D(2020, 12, 3)) == "in_effect"
    # Counted once: on any day at most one of the two is in force.
    for day in (D(2020, 9, 1), D(2020, 12, 1), D(2021, 6, 1)):
        assert [status_in(out[m], day) for m in (1, 2)].count("in_effect") == 1


def test_virginia_2021_ban_in_effect_until_the_2022_law_took_effect():
    ban = lifecycle([Step(D(2021, 3, 24), "adopted"), Step(D(2021, 7, 1), "effective")])
    law = lifecycle(
        [Step(D(2022, 3, 10), "passed"), Step(D(2022, 4, 27), "adopted"), Step(D(2022, 7, 1), "effective")]
    )
    out = apply_replacements({1: ban, 2: law}, {2: 1})
    assert status_in(out[1], D(2022, 6, 1)) == "in_effect"
    assert status_in(out[1], D(2022, 7, 1)) == "replaced"


def test_a_replacement_does_not_end_a_measure_that_ended_first():
    old = lifecycle([Step(D(2020, 1, 1), "adopted")], sunset=D(2021, 1, 1))
    new = lifecycle([Step(D(2021, 6, 1), "adopted")])
    out = apply_replacements({1: old, 2: new}, {2: 1})
    assert out[1] == old


def test_a_replacement_that_never_takes_effect_changes_nothing():
    old = lifecycle([Step(D(2020, 1, 1), "adopted")])
    new = lifecycle([Step(D(2021, 6, 1), "introduced")])
    assert apply_replacements({1: old, 2: new}, {2: 1})[1] == old
    assert first_in_force(new) is None


def test_replacement_chains_use_each_replacements_own_start():
    a = lifecycle([Step(D(2019, 1, 1), "adopted")])
    b = lifecycle([Step(D(2020, 1, 1), "adopted")])
    c = lifecycle([Step(D(2021, 1, 1), "adopted")])
    out = apply_replacements({1: a, 2: b, 3: c}, {2: 1, 3: 2})
    assert status_in(out[1], D(2020, 1, 1)) == "replaced"
    assert status_in(out[2], D(2020, 6, 1)) == "in_effect"
    assert status_in(out[2], D(2021, 1, 1)) == "replaced"


# --- coverage ---------------------------------------------------------------------------------


NOLA_TECHS = ["cell-site-simulators", "face-recognition", "predictive-policing"]
NOLA_CHANGE = Change(D(2022, 7, 21), removed=frozenset({"face-recognition", "cell-site-simulators"}))


def test_new_orleans_ban_keeps_predictive_policing_after_the_2022_change():
    covered = coverage(NOLA_TECHS, [NOLA_CHANGE])
    assert covered["predictive-policing"] == [(None, None)]
    assert covered["face-recognition"] == [(None, D(2022, 7, 21))]
    assert covers(covered["face-recognition"], D(2022, 7, 20))
    assert not covers(covered["face-recognition"], D(2022, 7, 21))
    periods = lifecycle([Step(D(2020, 12, 17), "adopted"), Step(D(2022, 7, 21), "amended")])
    assert status_in(periods, D(2023, 6, 1)) == "in_effect"
    face = clip(periods, covered["face-recognition"])
    assert status_in(face, D(2021, 6, 1)) == "in_effect"
    assert status_in(face, D(2023, 6, 1)) is None
    assert status_in(clip(periods, covered["predictive-policing"]), D(2023, 6, 1)) == "in_effect"


def test_a_technology_added_later_is_covered_from_that_day():
    covered = coverage(["drones", "face-recognition"], [Change(D(2021, 1, 1), added=frozenset({"drones"}))])
    assert covered["drones"] == [(D(2021, 1, 1), None)]
    assert covered["face-recognition"] == [(None, None)]


def test_a_technology_removed_and_added_back_has_two_intervals():
    covered = coverage(
        ["alpr"],
        [
            Change(D(2020, 1, 1), removed=frozenset({"alpr"})),
            Change(D(2022, 1, 1), added=frozenset({"alpr"})),
        ],
    )
    assert covered["alpr"] == [(None, D(2020, 1, 1)), (D(2022, 1, 1), None)]


def test_scope_on_follows_the_latest_change():
    changes = [Change(D(2022, 1, 1), scope="police_use")]
    assert scope_on("government_use", changes, D(2021, 6, 1)) == "government_use"
    assert scope_on("government_use", changes, D(2022, 1, 1)) == "police_use"


# --- the other lifecycle rules ---------------------------------------------------------------


def test_vetoed_bill_failed():
    bill = [Step(D(2020, 12, 1), "passed"), Step(D(2020, 12, 10), "vetoed")]
    assert status_on(bill, D(2020, 12, 5)) == "passed"
    assert status_on(bill, D(2020, 12, 10)) == "failed"


def test_veto_overridden_brings_it_into_effect():
    bill = [
        Step(D(2020, 1, 1), "passed"),
        Step(D(2020, 1, 5), "vetoed"),
        Step(D(2020, 2, 1), "veto_overridden"),
    ]
    assert status_on(bill, D(2020, 2, 1)) == "in_effect"


def test_adopted_waits_for_a_later_effective_date():
    law = [Step(D(2024, 8, 1), "adopted"), Step(D(2025, 2, 2), "effective")]
    assert status_on(law, D(2024, 9, 1)) == "adopted"
    assert status_on(law, D(2025, 2, 2)) == "in_effect"


def test_same_day_events_apply_in_lifecycle_order():
    # Listed out of order: introduced, passed and adopted on one day end adopted→in_effect.
    same_day = [
        Step(D(2021, 1, 1), "adopted"),
        Step(D(2021, 1, 1), "introduced"),
        Step(D(2021, 1, 1), "passed"),
    ]
    assert status_on(same_day, D(2021, 1, 1)) == "in_effect"
    repeal_same_day = [Step(D(2021, 1, 1), "repealed"), Step(D(2021, 1, 1), "adopted")]
    assert status_on(repeal_same_day, D(2021, 1, 1)) == "repealed"


def test_extension_to_a_new_sunset():
    steps = [Step(D(2021, 6, 14), "adopted"), Step(D(2022, 6, 1), "extended", D(2023, 1, 1))]
    sunset = D(2022, 12, 1)
    assert status_on(steps, D(2022, 12, 15), sunset) == "in_effect"
    assert status_on(steps, D(2023, 1, 1), sunset) == "expired"


def test_struck_down_and_amended():
    steps = [
        Step(D(2020, 1, 1), "adopted"),
        Step(D(2020, 6, 1), "amended"),
        Step(D(2021, 1, 1), "struck_down"),
    ]
    assert status_on(steps, D(2020, 7, 1)) == "in_effect"
    assert status_on(steps, D(2021, 1, 1)) == "struck_down"


def test_lifecycle_periods():
    assert lifecycle(AB1215, D(2023, 1, 1)) == [
        Period("in_effect", D(2019, 10, 8), D(2023, 1, 1)),
        Period("expired", D(2023, 1, 1), None),
    ]
    assert lifecycle([]) == []


# --- the same rules on the real dataset, on both engines --------------------------------------

REAL_CASES = [
    ("amazon-rekognition-police-moratorium-2020", D(2021, 6, 11), "in_effect"),
    ("california-body-camera-biometric-moratorium-2019", D(2023, 6, 1), "expired"),
    ("california-body-camera-biometric-moratorium-2019", D(2021, 6, 1), "in_effect"),
    # Each bill of an ended Congress failed the day after it ended.
    ("facial-recognition-biometric-moratorium-act-2020", D(2021, 1, 3), "pending"),
    ("facial-recognition-biometric-moratorium-act-2020", D(2021, 1, 4), "failed"),
    ("san-francisco-face-recognition-ban-2019", D(2019, 5, 15), "pending"),
    ("san-francisco-face-recognition-ban-2019", D(2019, 6, 1), "in_effect"),
    ("washington-facial-recognition-law-2020", D(2020, 6, 1), "adopted"),
    ("washington-facial-recognition-law-2020", D(2021, 8, 1), "in_effect"),
    ("virginia-police-facial-recognition-ban-2021", D(2021, 1, 1), None),
    ("virginia-police-facial-recognition-ban-2021", D(2022, 6, 1), "in_effect"),
    ("virginia-police-facial-recognition-ban-2021", D(2022, 7, 1), "replaced"),
    ("virginia-police-facial-recognition-law-2022", D(2022, 8, 1), "in_effect"),
    ("baltimore-face-surveillance-moratorium-2021", D(2022, 12, 15), "in_effect"),
    ("baltimore-face-surveillance-moratorium-2021", D(2023, 2, 1), "expired"),
    ("new-orleans-surveillance-technology-ban-2020", D(2021, 6, 1), "in_effect"),
    ("new-orleans-surveillance-technology-ban-2020", D(2023, 6, 1), "in_effect"),
    ("massachusetts-face-recognition-ban-proposal-2020", D(2021, 1, 1), "failed"),
]


@pytest.mark.parametrize("slug,day,expected", REAL_CASES)
def test_real_measures_from_the_dataset(shared_loaded_app, slug, day, expected):
    with shared_loaded_app.app_context():
        measure = db.session.scalars(select(Measure).where(Measure.slug == slug)).one()
        assert measure_statuses(db.session, day, [measure.id])[measure.id] == expected


def _measure_id(slug: str) -> int:
    return db.session.scalars(select(Measure.id).where(Measure.slug == slug)).one()


def test_every_bill_of_an_ended_congress_failed_the_day_after(shared_loaded_app):
    """No bill of an ended session is pending: every measure with a session that has ended
    and was never enacted is failed from the day after its session's last day."""
    with shared_loaded_app.app_context():
        bills = db.session.execute(
            select(Measure.id, Measure.slug, Measure.session_end).where(
                Measure.session_end.is_not(None), Measure.session_end < D(2026, 1, 1)
            )
        ).all()
        assert len(bills) >= 6
        for mid, slug, end in bills:
            periods = measure_lifecycles(db.session, [mid])[mid]
            after = status_in(periods, end + dt.timedelta(days=1))
            assert after not in ("pending", "passed"), slug
            if all(p.status in ("pending", "passed") for p in periods if p.start <= end):
                assert after == "failed", slug


def test_portland_maine_is_counted_once(shared_loaded_app):
    with shared_loaded_app.app_context():
        council = _measure_id("portland-maine-face-recognition-ban-2020")
        ballot = _measure_id("portland-maine-face-surveillance-ballot-ban-2020")
        for day in (D(2020, 9, 1), D(2021, 6, 1), D(2025, 1, 1)):
            statuses = measure_statuses(db.session, day, [council, ballot])
            assert list(statuses.values()).count("in_effect") == 1, day
        assert measure_statuses(db.session, D(2021, 6, 1), [council])[council] == "replaced"


def test_new_orleans_predictive_policing_ban_in_effect_after_face_recognition_moved_out(shared_loaded_app):
    with shared_loaded_app.app_context():
        ban = _measure_id("new-orleans-surveillance-technology-ban-2020")
        day = D(2023, 6, 1)
        assert measure_statuses(db.session, day, [ban], ["predictive-policing"])[ban] == "in_effect"
        assert measure_statuses(db.session, day, [ban], ["face-recognition"])[ban] is None
        assert measure_statuses(db.session, D(2021, 6, 1), [ban], ["face-recognition"])[ban] == "in_effect"


def test_milestones_are_the_first_step_the_latest_taking_effect_and_the_ending():
    from tracker.core.status import Milestones, Period, milestones

    d = dt.date
    periods = [
        Period("pending", d(2020, 1, 1), d(2020, 3, 1)),
        Period("adopted", d(2020, 3, 1), d(2020, 7, 1)),
        Period("in_effect", d(2020, 7, 1), d(2023, 1, 1)),
        Period("expired", d(2023, 1, 1), None),
    ]
    assert milestones(periods, d(2019, 6, 1)) == Milestones(None, None, None)
    early = milestones(periods, d(2020, 4, 1))
    assert (early.first, early.in_effect_since, early.ended) == (d(2020, 1, 1), None, None)
    during = milestones(periods, d(2021, 1, 1))
    assert (during.in_effect_since, during.ended) == (d(2020, 7, 1), None)
    after = milestones(periods, d(2023, 2, 1))
    assert (after.first, after.in_effect_since, after.ended) == (d(2020, 1, 1), d(2020, 7, 1), d(2023, 1, 1))


def test_the_measures_csv_and_json_carry_the_milestones(shared_client):
    import csv
    import io

    url = "/measures.json?q=Virginia+facial+recognition&as_of=2022-08-01&per_page=50"
    items = {i["slug"]: i for i in shared_client.get(url).get_json()["items"]}
    ban = items["virginia-police-facial-recognition-ban-2021"]
    assert (ban["in_effect_since"], ban["ended"]) == ("2021-07-01", "2022-07-01")
    assert ban["status"] == "replaced" and ban["first_event"] <= "2021-07-01"
    rows = list(
        csv.DictReader(
            io.StringIO(
                shared_client.get(url.replace(".json", ".csv").replace("&per_page=50", "")).get_data(
                    as_text=True
                )
            )
        )
    )
    row = next(r for r in rows if r["slug"] == "virginia-police-facial-recognition-ban-2021")
    assert (row["in_effect_since"], row["ended"]) == ("2021-07-01", "2022-07-01")
    detail = shared_client.get(
        "/measures/virginia-police-facial-recognition-ban-2021.json?as_of=2022-08-01"
    ).get_json()
    assert (detail["in_effect_since"], detail["ended"]) == ("2021-07-01", "2022-07-01")
