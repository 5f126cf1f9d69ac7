"""Sources in: reading files and fetched pages, chunking, who says each sentence, and the
refresh's ingestion steps; adding and removing sources."""
