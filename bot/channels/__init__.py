"""Platform adapters: each turns its platform's updates into ``Incoming`` and ``Reply`` into calls.

Only the modules in this package import a platform library; ``handlers/`` never does.
"""
