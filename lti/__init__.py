"""The LTI 1.3 adapter: registrations, keys, OIDC login, launch validation, services."""
