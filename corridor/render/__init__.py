"""Rendering for people: terminal tables, the Markdown report, the map."""
