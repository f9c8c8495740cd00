"""Personal data (GDPR): one agent's export and erasure, and the retention job."""
