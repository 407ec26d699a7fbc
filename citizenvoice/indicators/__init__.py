"""Evaluation cycles, the indicator tree, consultations and self-reported figures."""
