"""Typed Moodle web-service client (see client.py), its errors, batching and connection check."""
