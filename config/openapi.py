"""OpenAPI additions: the token scheme and the error responses every operation can give."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "config.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
        scheme["description"] = (
            "`Authorization: Token <key>`; keys come from `python manage.py create_api_token USERNAME`."
        )
        return scheme


def _json(ref, example, summary):
    return {
        "application/json": {
            "schema": {"$ref": f"#/components/schemas/{ref}"},
            "examples": {"example": {"summary": summary, "value": example}},
        }
    }


_ERRORS = {
    "400": ("Invalid input: `{field: [messages]}` (or `non_field_errors`, or `detail` for a body that is "
            "not JSON).", "ValidationError", {"effective_on": ["Must not be after today."]}),
    "401": ("No credentials, or an invalid or expired token (tokens expire after API_TOKEN_TTL_DAYS; a token "
            "of a user who can record decisions after 24 hours).", "ErrorDetail",
            {"detail": "Authentication credentials were not provided."}),
    "403": ("Authenticated, but the role does not allow this.", "ErrorDetail",
            {"detail": "Your role does not allow this."}),
    "404": ("Unknown object or country code in the path, or a page that does not exist.", "ErrorDetail",
            {"detail": "No such permit."}),
    "409": ("The lifecycle does not allow this change; nothing was changed.", "ErrorDetail",
            {"detail": "Permit EXP-2020-00123 is cancelled: 'reinstate' is allowed only from suspended."}),
    "413": ("The request body is too large.", "ErrorDetail",
            {"detail": "The request body is larger than 2621440 bytes."}),
    "415": ("The request body is not `application/json`.", "ErrorDetail",
            {"detail": 'Unsupported media type "text/plain" in request.'}),
    "429": ("Too many requests for this user (all of its tokens together), or too many failed token "
            "authentications from this address; retry after `Retry-After` seconds.", "ErrorDetail",
            {"detail": "Request was throttled. Expected available in 12 seconds."}),
}
_UNSAFE_ONLY = {"409", "413", "415"}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: document 400/401/403/404/409/413/415/429 on every API operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorDetail"] = {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    }
    schemas["ValidationError"] = {
        "type": "object",
        "description": "Field name → list of messages (nested for list items); or `detail`.",
        "additionalProperties": True,
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, (description, ref, example) in _ERRORS.items():
                if code in _UNSAFE_ONLY and method == "get":
                    continue
                response = {"description": description, "content": _json(ref, example, description)}
                if code == "401":
                    response["headers"] = {"WWW-Authenticate": {
                        "schema": {"type": "string"}, "description": "The scheme to use: `Token`."}}
                if code == "429":
                    response["headers"] = {"Retry-After": {
                        "schema": {"type": "integer"}, "description": "Seconds to wait."}}
                responses.setdefault(code, response)
    return result
