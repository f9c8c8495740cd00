"""Who is calling: agents launched from the LMS (signed launch tokens) and administrators."""
