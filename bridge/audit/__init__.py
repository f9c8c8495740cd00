"""Audit log of administrative actions."""
