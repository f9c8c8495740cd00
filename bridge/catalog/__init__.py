"""Training catalogue: online courses, in-person sessions, blended paths."""
