"""Inspections and sample surveys that verify self-reported figures."""
