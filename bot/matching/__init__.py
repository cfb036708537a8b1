"""Matching a question to the knowledge: normalising Norwegian and English text (`normalise`),
ranking entries and deciding to answer, ask back or refer (`matcher`)."""

from bot.matching.matcher import Candidate, Index, Match, Thresholds, role_of

__all__ = ["Candidate", "Index", "Match", "Thresholds", "role_of"]
