"""Domain errors carry the field they are about, so pages and the API can name it."""
from django.utils.translation import gettext as _


class DomainError(Exception):
    """A request the domain refuses. `field` names the input at fault, if any."""

    status = 400

    def __init__(self, message, field=None, code="invalid"):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.code = code

    def as_dict(self):
        return {"error": self.code, "field": self.field, "message": self.message}


class Forbidden(DomainError):
    status = 403

    def __init__(self, message=None, field=None):
        super().__init__(message or _("You may not do this."), field, code="forbidden")


class Conflict(DomainError):
    """The ticket's state does not allow the action."""

    status = 409

    def __init__(self, message, field=None):
        super().__init__(message, field, code="conflict")
