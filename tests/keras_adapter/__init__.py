"""Keras adapter tests (they skip without Keras: tests.keras_adapter.keras_helpers imports it or skips)."""
