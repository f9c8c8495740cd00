"""Clients of the LTI Advantage services (access tokens, AGS, NRPS)."""
