"""The LMS side: the Moodle web-service client, the sync jobs and the scheduler."""
