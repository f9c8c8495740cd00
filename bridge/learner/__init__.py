"""The agent's pages after a launch: the self-assessment path."""
