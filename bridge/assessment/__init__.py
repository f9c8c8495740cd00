"""The adaptive self-assessment: item bank, engine, sittings and results."""
