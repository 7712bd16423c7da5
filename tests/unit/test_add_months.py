"""Month arithmetic of the register's dates (date limite de délivrance, renewal threshold)."""

from datetime import date

from engine.core.clock import add_months_to_date


def test_the_same_day_months_later_or_earlier() -> None:
    assert add_months_to_date(date(2026, 1, 25), 6) == date(2026, 7, 25)  # RS6232's fiche
    assert add_months_to_date(date(2027, 3, 27), 6) == date(2027, 9, 27)  # RS6547's fiche
    assert add_months_to_date(date(2027, 1, 15), -7) == date(2026, 6, 15)
    assert add_months_to_date(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months_to_date(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months_to_date(date(2026, 12, 31), -10) == date(2026, 2, 28)
