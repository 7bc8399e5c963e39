"""`import`: plan files from an account's catalog, everything it holds under the keys its
identity rules give (`catalog.py` for products and prices, `objects.py` for the account-level
kinds). Pure: the live catalog in, file names and texts out; the command reads and writes."""
