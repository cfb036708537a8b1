"""Matching a question to the knowledge: normalising Norwegian and English text (`normalise`),
retrieval by words (`lexical`) and by meaning (`semantic`), the answer / ask back / refer
decision (`decide`), and the `Index` that ties them together (`index`)."""

from bot.matching.index import Candidate, Index, Match, Thresholds, role_of

__all__ = ["Candidate", "Index", "Match", "Thresholds", "role_of"]
