"""Former home of the matcher, kept as an alias so older imports keep working: the index now
lives in `bot.matching.index` (lexical, semantic and decide beside it)."""

from bot.matching.index import Candidate, Index, Match, Thresholds, role_of

__all__ = ["Candidate", "Index", "Match", "Thresholds", "role_of"]
