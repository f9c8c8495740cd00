"""Authentication and authorisation of the bridge's own pages."""
