"""The knowledge base: policy articles in, cited answers out. No Discord here.

The folders follow a question's path, and the library's on the way in:

- `ingest/`    sources in: loading files and pages, chunking, who says each sentence,
               the refresh's ingestion steps, adding and removing sources.
- `store/`     what is kept: Chroma generations and their catalog, side files, the live
               pointer, the sentence table, and the refresh that publishes a new generation.
- `search/`    question to judged evidence: understanding the question, retrieval,
               re-ranking, scoring sentences as evidence, and the gate.
- `answering/` composing the answer from the evidence: extractive or generative.
- `checking/`  checking each claim a generated answer makes against its cited passage.

Top-level modules are the public face (`service`, `settings`, `errors`, `documents`, and
`evaluation` with `qa_file` and `eval_metrics`) and the leaves every stage shares (`text`,
`embedding`, `prompts`).
"""
