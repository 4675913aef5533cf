"""The OpenAPI 3 description of the v3 API (drf-spectacular), served at ``/v3/openapi.json``.

What the defaults would get wrong, fixed here once:

- every v3 path ends in ``.json`` (``format_suffix_patterns(suffix_required=True)``);
  DRF's enumerator drops such suffixed routes as duplicates, so the suffix is written
  into the path instead;
- ``fields=`` extras (``Meta.extra_fields``) are documented, as optional properties;
- the ``Authorization: Token token="…"`` scheme;
- the error answers every operation can give, all ``{"error": "..."}``;
- resources beyond CallRail's reference (``V3ViewSet.reference_extension``) are filed
  under the "extensions" tag, marked ``x-reference-extension``, with the reason.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type, force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from api.v3.serializers.base import V3Serializer
from api.v3.viewsets import V3ViewSet

ERROR_RESPONSES: dict[str, str] = {
    "400": "Bad request: a parameter is missing or invalid.",
    "401": "No valid API key.",
    "403": "The key's user may not do this (role or company access).",
    "404": "No such resource in this account (or another tenant's).",
    "405": "The method is not supported on this path.",
    "406": "Parameters in an unacceptable format (a request body that is not JSON).",
    "422": "Valid parameters that the resource's rules refuse.",
    "429": "Rate limit exceeded (per account, hourly and daily).",
}
PATH_PARAMETERS = {
    "account_id": "The account: its ACC… id, or its 9-digit numeric id.",
    "id": "The object's id: its prefixed id (COM…, USR…, CSS…) or numeric id.",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}


class V3EndpointEnumerator(EndpointEnumerator):
    def get_path_from_regex(self, path_regex: str) -> str:
        path = super().get_path_from_regex(path_regex)
        if path.endswith(".{format}/") or path.endswith(".{format}"):
            # format_suffix_patterns' regex ends in `\.(?P<format>json)/?$`: document the plain `.json`.
            path = path.rstrip("/").removesuffix(".{format}") + ".json"
        return path


class V3SchemaGenerator(SchemaGenerator):
    endpoint_inspector_cls = V3EndpointEnumerator


class V3AutoSchema(AutoSchema):
    def _get_paginator(self) -> Any:
        paginator = super()._get_paginator()
        if paginator is not None:
            paginator.resource_name = getattr(self.view, "resource_name", "results")
        return paginator

    def get_override_parameters(self) -> list[Any]:
        """``sort``/``order``, ``fields`` and ``relative_pagination``, from the viewset's declarations."""
        parameters = list(super().get_override_parameters())
        view = self.view
        if not isinstance(view, V3ViewSet):
            return parameters
        is_list = self._is_list_view()
        if is_list and view.sort_fields:
            parameters += [
                OpenApiParameter("sort", str, enum=sorted(view.sort_fields), description="Field to sort by."),
                OpenApiParameter("order", str, enum=["asc", "desc"], description="Sort direction (needs sort)."),
            ]
        if is_list and view.relative_pagination:
            parameters.append(
                OpenApiParameter(
                    "relative_pagination",
                    bool,
                    description="Page by next_page links instead of page numbers (offset is the 0-based page).",
                )
            )
        serializer_class = getattr(view, "serializer_class", None)
        extras = getattr(getattr(serializer_class, "Meta", None), "extra_fields", ())
        if extras and self.method == "GET":
            parameters.append(
                OpenApiParameter(
                    "fields", str, description=f"Optional fields to add, comma separated: {', '.join(extras)}."
                )
            )
        return parameters

    def _reference_extension(self) -> str:
        return getattr(self.view, "reference_extension", "") or ""

    def get_tags(self) -> list[str]:
        if self._reference_extension():
            return ["extensions"]
        return super().get_tags()

    def get_description(self) -> str:  # type: ignore[override]
        description = super().get_description()
        note = self._reference_extension()
        if not note:
            return description
        header = f"Extension, not in CallRail's v3 reference: {note}"
        return f"{header}\n\n{description}" if description else header

    def get_extensions(self) -> dict[str, Any]:
        extensions = dict(super().get_extensions())
        if self._reference_extension():
            extensions["x-reference-extension"] = True
        return extensions

    def map_parsers(self) -> list[str]:
        # Bodies are JSON (api/v3/parsers.py accepts a JSON body under any Content-Type).
        return ["application/json"]

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        serializer = force_instance(serializer)
        if isinstance(serializer, V3Serializer) and not serializer.context.get("all_fields"):
            # Built without a request, the serializer dropped its optional fields: document them all.
            serializer = serializer.__class__(context={**serializer.context, "all_fields": True})
        schema = super()._map_basic_serializer(serializer, direction)
        extras = set(getattr(getattr(serializer, "Meta", None), "extra_fields", ()))
        if extras and schema.get("required"):
            schema["required"] = [name for name in schema["required"] if name not in extras]
            if not schema["required"]:
                del schema["required"]
        return schema


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.v3.authentication.TokenAuthentication"
    name = "TokenAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'CallRail\'s header: `Authorization: Token token="YOUR_API_KEY"` (quotes optional).',
        }


class RelatedIdFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "api.v3.serializers.base.RelatedIdField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        kind = OpenApiTypes.INT if self.target.attribute == "numeric_id" else OpenApiTypes.STR
        return {**build_basic_type(kind), "nullable": True}


class TimestampFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "api.v3.serializers.base.TimestampField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        return {**build_basic_type(OpenApiTypes.DATETIME), "nullable": True}


class LeadStatusFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "api.v3.serializers.integrations.LeadStatusField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        return {"type": "string", "enum": ["good_lead", "not_a_lead"], "nullable": True}


class DisabledFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "api.v3.serializers.tags.DisabledField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        return {"oneOf": [{"type": "boolean"}, {"type": "string", "enum": ["true", "false"]}]}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: document the ``{"error": ...}`` answers on every v3 operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/v3/"):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "delete"):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("name") in PATH_PARAMETERS:
                    parameter.setdefault("description", PATH_PARAMETERS[parameter["name"]])
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
            if method in ("post", "put", "delete"):
                responses.setdefault(
                    "503",
                    {
                        "description": "A service the request needs (the carrier) is unavailable.",
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
