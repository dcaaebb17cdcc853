"""The archive of every event for readers: full-text search and Atom feeds of notes."""
