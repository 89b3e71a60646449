"""Rules: the YAML format, the loader and the built-in packs (each rule with its own examples)."""
