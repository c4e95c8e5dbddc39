from tickets.conftest import at, fast_passwords, world  # noqa: F401  (fixtures)
