"""Suppression of the insights' tables beyond one table: a region's view against the
country's (differencing), tables whose cells don't add up, and rates."""

from __future__ import annotations

import random

from diaspora.insights.tables import (
    SUPPRESSED,
    shown_median_days,
    shown_rate,
    suppress,
    suppress_across,
)

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


def _table(counts: dict[str, int], **how: object) -> dict:
    total, cells, _ = suppress(counts, **how)
    return {"kind": "bars", "total": total, "suppressed": False,
            "cells": [{"key": key, "count": n} for key, n in cells.items()]}


def _shown(table: dict) -> dict[str, object]:
    return {cell["key"]: cell["count"] for cell in table["cells"]}


def test_the_regions_together_never_give_away_those_with_no_home_region() -> None:
    """Russia: 20 in the country, 8 in Naryn, 9 in Osh: shown as they are, 20 - 8 - 9 would
    tell that 3 members in Russia named no home region. Naryn's cell hides to protect them;
    then Naryn's own table needs a companion (Kazakhstan), and Kazakhstan's column one too
    (Osh's), and so on until every column and every table holds."""
    national = {"RU": 20, "KZ": 30}
    regions = {1: {"RU": 8, "KZ": 12}, 2: {"RU": 9, "KZ": 18}}
    country = _table(national)
    tables = {rid: (_table(counts, national=national), counts)
              for rid, counts in regions.items()}
    assert all(_shown(t)["RU"] != HIDDEN for t, _ in tables.values())  # before
    suppress_across(country, national, tables)
    assert _shown(tables[1][0])["RU"] == HIDDEN and _shown(tables[1][0])["KZ"] == HIDDEN
    assert _shown(tables[2][0])["KZ"] == HIDDEN and _shown(country) == national


def _world(rng: random.Random) -> tuple[dict, dict, dict]:
    keys = [f"k{i}" for i in range(rng.randint(1, 4))]
    regions = {rid: {key: rng.choice([0, 0, 1, 3, 5, 7, 12]) for key in keys}
               for rid in range(1, rng.randint(2, 5))}
    rest = {key: rng.choice([0, 0, 1, 2, 6]) for key in keys}
    return regions, rest, {key: sum(r[key] for r in regions.values()) + rest[key]
                           for key in keys}


def test_no_cell_can_be_had_by_subtracting_regions_from_the_country() -> None:
    """Random countries of a few regions and some members with no home region, suppressed as
    refresh() does it (the country's table by region deciding which regions' totals show):
    in every column the country shows, the hidden cells (those with no home region among
    them) are together 0 or at least 5 and never one alone; in every region's table with a
    shown total, likewise; a shown cell is exact and never 1 to 4."""
    rng = random.Random(8)
    for _ in range(1500):
        regions, rest, national = _world(rng)
        by_region = {str(rid): sum(counts.values()) for rid, counts in regions.items()}
        by_region["unknown"] = sum(rest.values())
        _t, by_region_shown, _ = suppress(by_region)
        country = _table(national)
        hidden_nationally = {k for k, n in _shown(country).items() if n == HIDDEN}
        tables = {rid: (_table(counts, national=national, hide=hidden_nationally,
                               hide_total=by_region_shown[str(rid)] == HIDDEN), counts)
                  for rid, counts in regions.items()}
        suppress_across(country, national, tables)
        for key, shown in _shown(country).items():
            if shown == HIDDEN:
                assert all(_shown(t)[key] == HIDDEN or not c[key] for t, c in tables.values())
                continue
            hidden = [regions[rid][key] for rid, (t, _) in tables.items()
                      if _shown(t)[key] == HIDDEN and regions[rid][key]]
            groups = hidden + ([rest[key]] if rest[key] else [])
            assert (not groups or (sum(groups) >= 5 and len(groups) >= 2)
                    or (not hidden and rest[key] >= 5)), (regions, rest, key)
        for table, counts in tables.values():
            cells = _shown(table)
            for key, n in cells.items():
                assert n == HIDDEN or (n == counts[key] and not 0 < n < 5)
            if table["total"] != HIDDEN:
                hidden = [counts[k] for k, n in cells.items() if n == HIDDEN and counts[k]]
                assert not hidden or (sum(hidden) >= 5 and len(hidden) >= 2), (counts, cells)
