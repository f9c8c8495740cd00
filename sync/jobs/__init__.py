"""The sync jobs: match agents, push enrolments, pull completions, drain the AGS score queue."""
