"""Profiles as data: the features, the profiles and servers, and which rows a session runs."""
