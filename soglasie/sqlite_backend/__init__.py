"""SQLite as Soglasie uses it: Django's backend with its writers taking turns in the process (``base``)."""
