"""From a question to judged evidence: what the question asks, the passages retrieval and
re-ranking find for it, their sentences scored as evidence, and the gate that decides
whether they cover it."""
