"""Moderation: the audit log and authority verification."""
