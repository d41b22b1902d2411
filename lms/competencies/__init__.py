"""Competency dictionary, position standards, evidence and current levels."""
