"""Aftercare check-ins: schedules (pure time arithmetic) and the claim of due check-ins."""
