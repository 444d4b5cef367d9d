"""Command-line tools behind the Makefile's evaluation and benchmark targets."""
