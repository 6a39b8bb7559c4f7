"""A JSON body the handler validates itself, documented in the OpenAPI schema as the model it is checked against.

Litestar validates a ``data`` parameter before the handler runs, so a body with a bad field is refused (400)
before the handler can run the service's rules on the fields that are good: a client with both kinds of mistake
learns of the second only after fixing the first. ``RawBody[Model]`` as the handler's ``dto`` (with ``data:
JSONBody[dict[str, Any]]``) hands the handler the decoded JSON object, and gives the OpenAPI schema the model's
own schema, exactly as ``data: JSONBody[Model]`` would (a DTO's data is not validated by the signature model).
"""

from collections.abc import Generator
from typing import Any, Generic, TypeVar

from litestar.dto import AbstractDTO, DTOFieldDefinition
from litestar.exceptions import ValidationException
from litestar.serialization import decode_json
from litestar.typing import FieldDefinition

from marketplace.i18n import gettext as _

T = TypeVar("T")


class RawBody(AbstractDTO[T], Generic[T]):
    """The body as a JSON object (anything else is a 400), documented as ``T``."""

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False

    @classmethod
    def is_supported_model_type_field(cls, field_definition: FieldDefinition) -> bool:
        # Only the body: the handler's answer is encoded as usual.
        return False

    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        """Nothing to build: the body is decoded as plain JSON."""

    @classmethod
    def create_openapi_schema(cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any) -> Any:
        documented = FieldDefinition.from_annotation(cls.model_type, kwarg_definition=field_definition.kwarg_definition)
        return schema_creator.for_field_definition(documented)

    def decode_bytes(self, value: bytes) -> Any:
        return _object(decode_json(value))

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        return _object(value)


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        said = _("The body must be a JSON object.")
        raise ValidationException(
            f"body: {said}", extra=[{"key": "body", "message": said, "source": "body", "code": "not_an_object"}]
        )
    return value
