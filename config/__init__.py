"""Settings, logging and default data files of pacnum-bridge."""
