"""`python -m web.cli`: the `inventaire` command."""

from web.cli import main

if __name__ == "__main__":
    main()
