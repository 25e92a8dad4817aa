"""Digest building (group, order, cap; pure) and rendering (Jinja2 over templates/)."""
