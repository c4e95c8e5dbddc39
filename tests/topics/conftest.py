from hotspots.conftest import hot  # noqa: F401  (fixtures)
from tickets.conftest import at, fast_passwords, world  # noqa: F401
