"""Authentication of agents (signed launch tokens) and of administrators."""
