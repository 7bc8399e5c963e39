"""`python -m reconciler` runs the same command line as the `reconciler` script."""

from reconciler.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
