"""Manim scene classes. Importing this package imports Manim: only child processes do that."""
