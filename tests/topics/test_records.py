"""Output records on the wire."""

from __future__ import annotations

from topics.records import Reason, wire_number


def test_a_whole_number_goes_on_the_wire_as_an_integer_whatever_its_type():
    assert [wire_number(22), wire_number(22.0), wire_number(1.9999)] == [22, 22, 2]
    assert all(type(n) is int for n in (wire_number(22.0), wire_number(0.0001)))


def test_other_figures_keep_three_decimals():
    assert wire_number(0.12345) == 0.123
    assert wire_number(-2.5) == -2.5


def test_a_reason_says_its_value_the_same_way_in_either_build():
    # Compiled, the float attribute holds 22 as 22.0: both must read "value": 22.
    wire = [Reason("contract_expiring", 3.0, v, "").to_wire()["value"] for v in (22, 22.0)]
    assert wire == [22, 22]
    assert all(type(v) is int for v in wire)
