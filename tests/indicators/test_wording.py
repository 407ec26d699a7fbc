from citizenvoice.indicators.wording import describe_criteria


def test_criteria_in_words(app) -> None:
    with app.test_request_context():
        linear = {"kind": "linear", "target": 95, "floor": 80, "step": 5, "per": 1}
        assert describe_criteria(linear, "higher") == "≥ 95 → 100; each 1 below → −5; below 80 → 0"
        bands = {"kind": "bands", "bands": [[80, 60], [95, 100], [90, 80]]}
        assert describe_criteria(bands, "higher") == (
            "≥ 95 → 100; ≥ 90 → 80; ≥ 80 → 60; below 80 → 0"
        )
        assert describe_criteria({"kind": "bands", "bands": [[2, 100], [5, 50]]}, "lower") == (
            "≤ 2 → 100; ≤ 5 → 50; above 5 → 0"
        )
        assert describe_criteria({"kind": "direct"}, "higher") == "The value is the score (0–100)."
        assert describe_criteria({"kind": "linear"}, "higher") == "(criteria not readable)"
