"""Integrity analytics: pure detectors of faked ratings and figures, and comment screening."""
