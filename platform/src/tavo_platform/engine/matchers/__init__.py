"""Matchers: structural (syntax tree), regex (any text) and artifact (pickle opcodes)."""
