"""Benchmarks and simulations (CLI reports; run with python -m bench.<name>)."""
