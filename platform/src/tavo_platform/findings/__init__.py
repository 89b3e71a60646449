"""Findings with a life across scans: identity by fingerprint within a repository or an
upload project, detection state carried from scan to scan, triage that survives rescans."""
