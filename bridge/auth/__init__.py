"""Who is calling: administrators (admin_guard) and agents launched from the LMS (the learner session)."""
