"""Ids for rows a device may create before it reaches the server (attempts, completions)."""

import uuid


def new_id() -> str:
    return str(uuid.uuid4())


def is_valid_id(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except (ValueError, AttributeError, TypeError):
        return False
