"""kg: a knowledge graph of ML papers and concepts.

The pipeline runs one way: read -> segment -> extract -> resolve -> lineage -> graph ->
export / store, with :mod:`kg.lookup` answering questions from the database :mod:`kg.store`
writes and :mod:`kg.cli` a thin shell over it all.
"""

__version__ = "0.1.0"
