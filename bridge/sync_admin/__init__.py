"""Admin pages of the Moodle sync: connections, runs, outbox failures, AGS retry queue."""
