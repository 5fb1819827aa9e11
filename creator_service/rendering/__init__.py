"""Renderers and media tools: Manim clips, ffmpeg cutting and probing, WAV handling."""
