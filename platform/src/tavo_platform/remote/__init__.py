"""`tavo remote …`: the CLI talking to a Tavo server (login, scan, findings, triage)."""
