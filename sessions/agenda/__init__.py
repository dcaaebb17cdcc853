"""What attendees and organizers follow: stars and "my agenda" (with its calendar feed),
the outcomes of every session, and who is writing in a note right now."""
