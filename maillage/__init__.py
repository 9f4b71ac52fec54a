"""The ``maillage`` command and the node that runs services together."""
