"""Surveys, QR-coded service points, ratings, tickets and kiosks."""
