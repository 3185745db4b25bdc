"""Rendering of reports for people: plain text for the terminal (and, later, HTML)."""
