"""The scan engine: walk a tree, parse each file once, run every matching rule, emit findings."""
