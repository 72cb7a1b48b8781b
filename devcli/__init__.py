"""devcli: a terminal coding agent driven by Mistral's Devstral."""

__version__ = "0.1.0"
