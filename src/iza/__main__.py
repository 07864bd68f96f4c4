"""``python -m iza`` runs the ``iza`` command."""

from iza.cli import main

if __name__ == "__main__":
    main()
