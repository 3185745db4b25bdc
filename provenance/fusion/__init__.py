"""Fusing signal results into one verdict, by a documented precedence table."""
