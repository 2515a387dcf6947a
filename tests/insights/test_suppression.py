"""Suppression of the insights' tables beyond one table: a region's view against the
country's (differencing), tables whose cells don't add up, and rates."""

from __future__ import annotations

import random

from diaspora.insights.tables import SUPPRESSED, shown_median_days, shown_rate, suppress

HIDDEN = SUPPRESSED


def _value(shown: object) -> int | None:
    return shown if isinstance(shown, int) else None


def test_a_region_never_shows_a_cell_that_leaves_a_few_elsewhere() -> None:
    """Russia 12 in the country, 10 of them in this region: "12 - 10" would tell that two
    members in Russia live elsewhere, so the region's cell hides, and another with it."""
    national = {"RU": 12, "KZ": 20, "TR": 9}
    region = {"RU": 10, "KZ": 6, "TR": 9}
    total, cells, suppressed = suppress(region, national=national)
    assert cells["RU"] == HIDDEN and suppressed
    # Alone, RU would be the total minus the others: the smallest other cell goes too.
    assert cells["KZ"] == HIDDEN and cells["TR"] == 9
    assert total == 25


def test_a_region_hides_what_the_country_hides() -> None:
    """The country hides Türkiye (7, to protect Kazakhstan's 3); if a region holding all 7
    showed them, the country's hidden cells would be known."""
    national = {"RU": 30, "KZ": 3, "TR": 7}
    _total, country, _ = suppress(national)
    assert country["KZ"] == HIDDEN and country["TR"] == HIDDEN
    hidden = {key for key, n in country.items() if n == HIDDEN}
    _total, cells, _ = suppress({"RU": 10, "KZ": 0, "TR": 7}, national=national, hide=hidden)
    assert cells["TR"] == HIDDEN


def test_a_region_hidden_in_the_country_shows_no_total() -> None:
    """The region's own cell in the country's table by region is hidden: its total (and
    cells adding up to it) would reveal that cell."""
    total, cells, _ = suppress({"RU": 6, "KZ": 7}, hide_total=True)
    assert total == HIDDEN
    assert HIDDEN in cells.values()  # the shown cells no longer add up to anything known


def test_no_combination_of_country_and_region_reveals_a_small_group() -> None:
    """For random country tables split into a region and the rest: every shown region cell,
    minus its country cell, is 0 or at least 5; hidden cells together are 0 or at least 5;
    and a cell the country hides is hidden in the region."""
    rng = random.Random(5)
    for _ in range(3000):
        keys = [f"c{i}" for i in range(rng.randint(1, 6))]
        region = {key: rng.choice([0, 0, 1, 2, 3, 5, 6, 8, 15]) for key in keys}
        national = {key: region[key] + rng.choice([0, 0, 1, 2, 4, 5, 7, 20]) for key in keys}
        _t, country, _ = suppress(national)
        hidden_nationally = {key for key, n in country.items() if n == HIDDEN}
        total, cells, _ = suppress(region, national=national, hide=hidden_nationally)
        for key in keys:
            shown = _value(cells[key])
            if shown is not None:
                assert shown == region[key] and not 0 < shown < 5
                if _value(country[key]) is not None:
                    assert not 0 < national[key] - shown < 5, (national, region, cells)
            if key in hidden_nationally and region[key]:
                assert cells[key] == HIDDEN
        hidden = [key for key, n in cells.items() if n == HIDDEN and region[key]]
        hidden_sum = sum(region[key] for key in hidden)
        assert hidden_sum == 0 or hidden_sum >= 5 or total == HIDDEN, (region, cells)
        # One hidden cell beside a shown total would be the total minus the others.
        assert len(hidden) != 1 or total == HIDDEN, (region, cells)


def test_cells_that_overlap_hide_only_small_ones() -> None:
    """Sectors of investors overlap (several each): no total, no complementary hiding."""
    total, cells, suppressed = suppress({"it": 12, "water": 3, "roads": 0},
                                        additive=False)
    assert total is None
    assert cells == {"it": 12, "water": HIDDEN, "roads": 0} and suppressed


def test_a_rate_needs_five_on_each_side() -> None:
    assert shown_rate(0, 0) is None
    assert shown_rate(4, 2) == HIDDEN  # four proposals
    assert shown_rate(20, 3) == HIDDEN  # three answered: "15%" would tell it
    assert shown_rate(20, 17) == HIDDEN  # three unanswered
    assert shown_rate(20, 10) == 0.5
    assert shown_rate(10, 10) == 1.0
    assert shown_median_days([]) is None
    assert shown_median_days([86400] * 4) == HIDDEN
    assert shown_median_days([86400, 86400, 2 * 86400, 3 * 86400, 10 * 86400]) == 2.0
