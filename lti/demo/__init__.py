"""The demo LMS (development only) and the platform emulator it shares with the test platform."""
