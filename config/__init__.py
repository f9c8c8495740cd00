"""Settings, logging, database base and shared data files of pacnum-bridge."""
