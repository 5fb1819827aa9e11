"""One module per stage, holding the spec's stage functions. Each is `(StageContext) -> output`."""
