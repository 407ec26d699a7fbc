def build_demo(city):
    """Compute and publish the demo city's past cycles."""
