"""Development only: the local outbox page, where mail that no server sends can be read."""
