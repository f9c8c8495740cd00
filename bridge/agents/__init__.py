"""Agents: the people who launch the tool from their LMS."""
