"""The admin console: its shell (navigation, home) and the pages for LTI platforms, tool keys, Moodle
connections, the audit log and admin accounts."""
