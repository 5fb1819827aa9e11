"""Outside services behind small interfaces, each with an offline default."""
