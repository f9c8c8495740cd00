"""The two comparison apps of bench/launch_bench.py, each served by gunicorn on its own."""
