"""Being written (issue 6): see cityline/observations/cli.py."""


def add_parser(sub) -> None:
    return None
