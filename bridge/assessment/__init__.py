"""Adaptive self-assessment: item bank, IRT engine, scoring. Pure Python + numpy."""
