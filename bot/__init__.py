"""guidebot: answers questions about an organisation's written guidelines, with verbatim quotes."""

__version__ = "0.1.0"
