"""LMS side of pacnum-bridge: the Moodle web-service client and the sync jobs."""
