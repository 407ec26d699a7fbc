def build_demo(city):
    """Add cases, improvement plans and appeals to the demo city."""
