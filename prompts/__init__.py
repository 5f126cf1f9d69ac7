"""The prompt and refusal texts, as files (*.md, *.txt) beside this one.

This folder is the only copy: it is installed as package data of the `prompts` package, so
an installed policybot (a wheel, `pipx`, an editable install) reads these very files through
`importlib.resources`, never a path in a repository checkout. Edit them here; to use your
own text without changing the package, point PROMPT_*_FILE (one prompt) or POLICYBOT_PROMPTS
(a folder holding all four) at it. `index/prompts.py` loads them.
"""
