"""``python -m marketplace`` is the ``marketplace`` command."""

from marketplace.cli import main

main()
