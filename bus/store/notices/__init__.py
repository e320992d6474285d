"""Durable store-and-forward of one-way notices (異動通知): one interface, SQLite and PostgreSQL."""
