"""Feature modules: each one with ``register(conversation)`` is loaded by both transports."""
