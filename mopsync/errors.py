"""Domain errors. Mapped once to HTTP in the API's exception handler (400/403/409)
and once to messages in the web views."""

from __future__ import annotations


class Rule(str):
    """A refusal's message whose words depend on who reads it. As a string it is the API's
    wording (field names, shares as fractions: "Shares must add up to 1 (they add up to
    0.9)."); `code` and `params` (the field names and numbers it speaks of) let a web form
    say the same in its own labels and units (`mopsync.forms.form_message`: "SKU shares
    must add up to 100% (they add up to 90%).")."""

    code: str
    params: dict

    def __new__(cls, text: str, code: str = "", **params):
        message = super().__new__(cls, text)
        message.code = code
        message.params = params
        return message

    def __reduce__(self):
        return (_rule, (str(self), self.code, self.params))


def _rule(text: str, code: str, params: dict) -> Rule:
    return Rule(text, code, **params)


class DomainError(Exception):
    """Base of every refusal a service can give; `code` is stable for API clients."""

    code = "refused"
    http_status = 409

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(DomainError):
    """Bad input: nothing was changed. `errors` maps field names to messages."""

    code = "invalid"
    http_status = 400

    def __init__(self, errors: dict[str, list[str]] | str, message: str = "Invalid input."):
        if isinstance(errors, str):
            errors = {"non_field_errors": [errors]}
        super().__init__(message)
        self.errors = errors


class NotPermitted(DomainError):
    """The actor's role or ownership does not allow this."""

    code = "not_permitted"
    http_status = 403


class TransitionNotAllowed(DomainError):
    """The workflow does not allow this from the campaign's current state."""

    code = "transition_not_allowed"


class CapacityTaken(DomainError):
    """The capacity check refused: carries the current findings."""

    code = "capacity_taken"

    def __init__(self, message: str, *, findings: list[dict] | None = None, max_orders_per_day: int | None = None):
        super().__init__(message)
        self.findings = findings or []
        self.max_orders_per_day = max_orders_per_day
