"""The dashboard's chart geometry: round axes, stacked columns that add up, rows, a line of shares."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from practice.charts import column_chart, nice_scale, row_chart, ticks


@pytest.mark.parametrize("maximum, expected", [
    (0, (1, 1)), (1, (1, 1)), (3, (3, 1)), (7, (8, 2)), (10, (10, 5)), (123, (150, 50)), (999, (1000, 250)),
    (0.8, (0.8, 0.2)),
])
def test_the_axis_ends_on_a_round_step_at_or_above_the_largest_value(maximum, expected):
    assert nice_scale(maximum) == expected


def test_counts_get_whole_ticks():
    assert ticks(*nice_scale(3)) == [0, 1, 2, 3]
    assert ticks(*nice_scale(9)) == [0, 5, 10]


@given(st.integers(min_value=0, max_value=10**7))
def test_the_scale_always_holds_the_maximum_in_a_few_whole_steps(maximum):
    top, step = nice_scale(maximum)
    assert top >= maximum and isinstance(step, int) and step >= 1
    assert 1 <= top / step <= 8


def test_stacked_columns_sit_on_the_axis_and_their_heights_add_up_to_the_total():
    chart = column_chart(["w1", "w2", "w3"], [[3, 0, 1], [1, 0, 2]], width=300, height=200)
    first, empty, third = chart.columns
    assert [c.total for c in chart.columns] == [4, 0, 3]
    assert empty.segments == ()
    assert [s.series for s in first.segments] == [0, 1]
    assert first.segments[0].y + first.segments[0].height == pytest.approx(chart.plot.bottom, abs=0.1)
    assert first.segments[1].y + first.segments[1].height == pytest.approx(first.segments[0].y, abs=0.1)
    # the top of the axis is 4: the first column fills the plot's height
    assert sum(s.height for s in first.segments) == pytest.approx(chart.plot.height, abs=0.2)
    assert [t.value for t in chart.ticks] == [0, 1, 2, 3, 4]
    assert chart.ticks[0].position == chart.plot.bottom and chart.ticks[-1].position == chart.plot.top
    assert first.x < empty.x < third.x and third.x + third.width <= chart.plot.right
    assert not chart.empty and chart.points == ()


def test_a_chart_of_zeros_is_empty():
    assert column_chart(["a", "b"], [[0, 0]]).empty
    assert row_chart(["a"], [[0], [0]]).empty


def test_crowded_columns_label_every_nth_key_and_always_the_newest():
    keys = list(range(53))
    chart = column_chart(keys, [[1] * 53], width=640)
    labelled = [c for c in chart.columns if c.labelled]
    assert labelled[-1].key == 52 and 8 <= len(labelled) <= 13
    assert all(b.centre - a.centre >= 48 for a, b in zip(labelled, labelled[1:]))  # room for "21 Sept."
    assert all(c.labelled for c in column_chart(list(range(12)), [[1] * 12], width=640).columns)  # months
    assert not chart.totals_shown
    assert all(c.labelled for c in column_chart(list(range(4)), [[1] * 4]).columns)


def test_shares_draw_a_line_on_a_second_axis_and_skip_keys_without_a_share():
    chart = column_chart(["jan", "feb", "mar"], [[2, 1, 0]], width=400, height=200, shares=[1.0, None, 0.25])
    assert [p.key for p in chart.points] == ["jan", "mar"]
    assert chart.points[0].y == chart.plot.top
    assert chart.points[1].y == pytest.approx(chart.plot.bottom - 0.25 * chart.plot.height, abs=0.1)
    assert chart.points[0].x == chart.columns[0].centre
    assert chart.polyline == f"{chart.points[0].x},{chart.points[0].y} {chart.points[1].x},{chart.points[1].y}"
    assert [t.value for t in chart.share_ticks] == [0, 0.5, 1]
    assert not chart.totals_shown  # the line's dots would cover them
    assert not column_chart(["jan"], [[0]], shares=[0.0]).empty  # a share of 0 % is still something to show


def test_rows_stack_left_to_right_from_the_label_column():
    chart = row_chart(["no consent", "no mobile"], [[4, 0], [1, 2]], width=500, label_width=200)
    first, second = chart.rows
    assert first.total == 5 and second.total == 2
    assert first.segments[0].x == chart.plot.left
    assert first.segments[1].x == pytest.approx(first.segments[0].x + first.segments[0].width, abs=0.1)
    assert first.end == pytest.approx(chart.plot.left + 5 / 6 * chart.plot.width, abs=0.2)  # axis top: 6
    assert [s.series for s in second.segments] == [1]
    assert second.y > first.y and chart.height > second.y + second.height


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError):
        column_chart(["a", "b"], [[1]])
    with pytest.raises(ValueError):
        row_chart(["a"], [[1, 2]])
