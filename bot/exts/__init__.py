"""One extension per feature, loaded by PolicyBot.setup_hook."""
