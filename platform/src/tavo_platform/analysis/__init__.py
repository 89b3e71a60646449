"""AI analysis: triage, risk, remediation and model-file verdicts over scan findings."""
