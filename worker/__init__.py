"""district-radar: alerts on Tianjin district investment projects and policies."""

__version__ = "0.1.0"
