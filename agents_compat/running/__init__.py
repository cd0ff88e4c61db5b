"""Running the Agents SDK against one backend: the client, its runs, whether it still answers."""
