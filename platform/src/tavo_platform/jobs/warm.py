"""Imported by the forkserver before it forks scan processes: the built-in rules are parsed
once there, so every scan process starts with them ready."""

from tavo_platform.rules.loader import load_builtin_rules

load_builtin_rules()
