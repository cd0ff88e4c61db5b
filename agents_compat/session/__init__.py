"""What the pytest plugin runs once a run asks for the harness: the session, its collection, its
fixtures' work and pytest-xdist's hand-over. Importing this package costs nothing; its modules do."""
