"""Running as a service: systemd notification and watchdog, metrics, broker access rules.

The daemon's wiring creates these and passes them the callables they read; nothing
here starts on import. Nothing is imported here either: `mosquitto_acl` runs from
deploy/install.sh, possibly on a Python with only PyYAML and pydantic (no FastAPI).
"""
