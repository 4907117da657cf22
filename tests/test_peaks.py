import pytest

from memcap.measures.peaks import find_peak


def test_a_peak_between_trained_widths_is_closed_by_them():
    peak = find_peak({16: 0.2, 24: 0.4, 32: 0.55, 40: 0.47})
    assert (peak.width, peak.R, peak.narrower, peak.wider, peak.bracketed) == (32, 0.55, "trained", "trained", True)
    assert peak.ceiling is None


def test_the_next_widths_ceiling_closes_the_wider_side_only_when_below_the_peak():
    R = {16: 1.34, 24: 1.75}
    assert find_peak(R, {24: 2.03, 32: 1.19, 40: 0.78}).wider == "ceiling"
    assert find_peak(R, {24: 2.03, 32: 1.19}).ceiling == 1.19
    # the narrowest untrained wider width decides: a wider one's lower ceiling proves nothing about width 32
    assert find_peak(R, {32: 1.8, 40: 0.78}).wider == "open"
    assert find_peak(R, {32: 1.75}).wider == "open"  # equal: width 32 could store as much
    assert not find_peak(R, {32: 1.8}).bracketed


def test_edges_stay_open_and_make_the_peak_a_lower_bound():
    assert find_peak({16: 0.9, 24: 0.5}).narrower == "open"
    assert find_peak({16: 0.5, 24: 0.9}).wider == "open"
    assert find_peak({16: 0.5, 24: 0.9}, {8: 0.1}).wider == "open"  # no wider width listed
    single = find_peak({24: 0.9}, {32: 0.5})
    assert (single.narrower, single.wider, single.bracketed) == ("open", "ceiling", False)


def test_ties_go_to_the_narrower_width():
    assert find_peak({16: 1.0, 24: 1.0, 32: 0.5}).width == 16


@pytest.mark.parametrize("R, ceilings, named", [
    ({}, None, "none"),
    ({16: float("nan")}, None, "nan"),
    ({16: "1.0"}, None, "'1.0'"),
    ({16: 1.0}, {24: -1.0}, "-1.0"),
    ({16: 1.0}, {24: None}, "None"),
])
def test_bad_input_is_named(R, ceilings, named):
    with pytest.raises(ValueError, match=named):
        find_peak(R, ceilings)
