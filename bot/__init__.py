"""guidebot: answers questions about an organisation's written guidelines, with verbatim quotes."""

__version__ = "0.2.0"
