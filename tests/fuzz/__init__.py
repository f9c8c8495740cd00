"""Property-based tests over hostile input: LTI endpoints, assessment answers and every import."""
