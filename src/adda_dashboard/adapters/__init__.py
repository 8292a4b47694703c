"""Adapters to things outside our code: hashing, tokens, storage, queues, Google."""
