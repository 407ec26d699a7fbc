def build_demo(city):
    """Add this domain's demo data to the city."""
