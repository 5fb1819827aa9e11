"""Creator Studio: a brief becomes a narrated video, one reviewed stage at a time."""

__version__ = "0.1.0"
