"""ISO 37106 self-assessment: a rule per recommendation, maturity, snapshots, gap report, comparison."""
