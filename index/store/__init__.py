"""What the knowledge base keeps: Chroma generations and their catalog, each generation's
side files and sentence vectors, the live pointer, and the refresh that publishes them."""
