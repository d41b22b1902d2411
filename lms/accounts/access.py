"""Who may do what, beyond being signed in."""


def can_preview_drafts(user) -> bool:
    """Trainers and admins see draft courses; learners only published ones."""
    return bool(getattr(user, "is_admin", False) or getattr(user, "is_pengajar", False))
