"""Command line for this domain (being written)."""


def init_app(app) -> None:
    pass
