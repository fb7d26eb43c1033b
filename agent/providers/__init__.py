"""Model providers of our own, written like Strands' own (one flat file each), and Bedrock's errors explained."""
