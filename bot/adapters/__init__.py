"""Thin adapters between chat platforms (terminal, Slack, Teams) and the `Guidebot` core."""
