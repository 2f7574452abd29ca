"""Pauses (promises, plans, holds) further than ten years away are refused as typos."""

from __future__ import annotations

from datetime import date

import pytest

from relance.domain.errors import ValidationError
from relance.services.pauses import within_horizon


def test_a_date_ten_years_ahead_is_accepted_one_day_more_is_refused():
    within_horizon(date(2036, 6, 28), date(2026, 6, 30), "Date promise")
    with pytest.raises(ValidationError, match="à plus de 10 ans"):
        within_horizon(date(2036, 6, 29), date(2026, 6, 30), "Date promise")


def test_the_far_future_typo_is_refused_with_the_limit_in_french():
    with pytest.raises(ValidationError) as caught:
        within_horizon(date(9999, 12, 31), date(2026, 2, 28), "Suspension")
    assert caught.value.message == ("Suspension : 31/12/9999 est à plus de 10 ans "
                                    "(au plus le 28/02/2036).")
