"""Pages for instructors and administrators launching the tool from their LMS."""
