"""Benchmarks of broadcastd against this machine's limits and a cron baseline (docs/benchmarks.md)."""
