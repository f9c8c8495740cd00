"""Who may enter the admin console: local admin accounts, LTI hand-offs, principals and guards."""
