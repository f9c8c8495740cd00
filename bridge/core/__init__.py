"""Cross-cutting web pieces: request session, locale, errors, health checks, base pages."""
