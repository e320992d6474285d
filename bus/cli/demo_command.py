"""``pfbus demo`` (being assembled)."""


def add_arguments(parser):
    pass


def run(args):
    print("demo: not assembled yet")
    return 1
