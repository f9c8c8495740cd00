"""Read-only JSON API for BI tools (Power BI, Superset...), token-authenticated."""
