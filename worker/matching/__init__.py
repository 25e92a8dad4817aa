"""Subscriber rules compiled once into an index; `MatchIndex.match(items)` is pure."""

from worker.matching.index import MatchIndex
from worker.matching.rules import Rule, compile_rule

__all__ = ["MatchIndex", "Rule", "compile_rule"]
