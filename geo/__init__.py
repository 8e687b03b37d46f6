"""The spatial domain of hazmap: every feature, GB 18218 grading, scope, demo data."""
