"""Benchmarks (speed, memory, accuracy)."""
