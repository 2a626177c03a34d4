"""Rendering of runs for people: terminal summaries (HTML and Excel views come later)."""
