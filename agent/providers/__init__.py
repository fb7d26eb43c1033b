"""Model providers of our own, written like Strands' own (one flat file each)."""
