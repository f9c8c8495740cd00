"""Personalised training recommendations and their lifecycle up to completion."""
