"""Likely duplicates: a second report of the same problem is flagged, an unrelated need is not."""

from matching.duplicates import likely_duplicates

OPEN = [
    (1, "湖岛新村17号楼楼道声控灯损坏，晚上漆黑一片"),
    (2, "开平路社区广场舞队音响设备老化"),
    (3, "独居老人王大爷需要每周上门理发"),
]


def test_a_rephrased_report_of_the_same_problem_is_flagged() -> None:
    found = likely_duplicates("17号楼楼道的声控灯坏了，晚上很黑", OPEN)
    assert [d.need_id for d in found][:1] == [1]
    assert all(d.need_id != 2 for d in found)


def test_an_unrelated_need_has_no_duplicates() -> None:
    assert likely_duplicates("社区需要法律咨询志愿者", OPEN) == []


def test_english_works_too() -> None:
    found = likely_duplicates(
        "Broken stairwell light in building 17",
        [(7, "Stairwell light broken in building 17, dark at night"), (8, "Square dance speakers are old")],
    )
    assert [d.need_id for d in found] == [7]
