"""Extract: a document's figures with labels and indicator ids; the clean step's outputs."""
