"""One module per schema revision: `NNNN_what_changes.py` with revision id `NNNN`."""
