"""kg: a knowledge graph of ML papers and concepts.

The pipeline runs one way: read -> segment -> extract -> resolve -> lineage -> graph ->
export, with :mod:`kg.query` answering questions of a built graph and :mod:`kg.cli` a thin
shell over it all.
"""

__version__ = "0.1.0"
