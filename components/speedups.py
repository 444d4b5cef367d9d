"""Two of Rasa 3.6's per-message costs, removed without changing what Rasa does.

Found by profiling the Rasa process under load (py-spy; docs/bench.md):
- `Event.resolve_by_type` walks every subclass of `Event` for each event it reads back from a
  store (a third of the time of a long conversation's turn): the answer per type name is kept.
- `RemoteAction._validate_action_result` calls `jsonschema.validate`, which checks the schema
  itself before the action server's reply, on every action: the validator is built once.
Same results, same errors (a reply that does not match the schema still raises
`ValidationError` with Rasa's message).
"""

from __future__ import annotations

from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_installed = False
_event_classes: dict[str, type[Event]] = {}
_resolve_by_walking = Event.resolve_by_type
_validator: Any = None


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    found = _event_classes.get(type_name)
    if found is not None:
        return found
    try:
        found = _resolve_by_walking(type_name)
    except ValueError:
        if default is not None:
            return default
        raise
    if found is not None:
        _event_classes[type_name] = found
    return found


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    global _validator
    if _validator is None:
        schema = self.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    error = best_match(_validator.iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Patch once per process (the tracker store's module calls it when Rasa loads it)."""
    global _installed
    if _installed:
        return
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign,assignment]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    _installed = True


__all__ = ["ValidationError", "install"]
