"""Units, service points and the service catalogue."""
