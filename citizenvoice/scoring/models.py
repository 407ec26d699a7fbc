"""Computed results and published snapshots."""
