"""Benchmarks of CitizenVoice: ``python -m bench`` (see bench/README.md)."""
