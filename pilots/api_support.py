"""What every router of the JSON API shares: the error shape, cursor pages, the types of
parameters that must never reach the database unchecked, and reading a request body
after the access check.

The API itself is assembled in config/api.py from the routers in pilots/api.py and
governance/api.py; this module is here, in the lowest app that has routers, so both can
use it without `pilots` importing anything above it.
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import pydantic
from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import StringConstraints

from pilots.access import get_pilot_for_user, visible_pilots

# The largest id PostgreSQL's bigint holds; a larger number in a path is refused as
# input instead of failing in the database.
MAX_ID = 9_223_372_036_854_775_807
# No NUL character: PostgreSQL cannot store one in text and refuses the whole query.
NO_NUL = r"^[^\u0000]*$"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
SearchText = Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)]


def choice(choices) -> Any:
    """The values of a TextChoices as an inline enum of the schema (not a named one:
    several models call theirs `Status`)."""
    return Literal[tuple(choices.values)]


def text(max_length: int) -> Any:
    """A text field of at most `max_length` characters, without NUL."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=NO_NUL)]


# --- errors -------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str = Field(description="Stable, for programs: e.g. not_found, stale_version.")
    message: str = Field(description="For people; may change wording between releases.")
    fields: dict[str, list[str]] = Field(
        default_factory=dict, description="What is wrong with each named input, if any."
    )


class ErrorOut(Schema):
    error: ErrorDetail


# The error statuses every operation may answer with, and those of writes.
READ_ERRORS = (400, 401, 403, 404, 422, 429)
WRITE_ERRORS = (*READ_ERRORS, 409)


def responses(ok: dict[int, Any], errors: tuple[int, ...] = READ_ERRORS) -> dict:
    return {**ok, errors: ErrorOut}


class ApiError(Exception):
    """An answer other than success, in the API's one error shape."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


def invalid(fields: dict[str, list[str]], message: str | None = None) -> ApiError:
    return ApiError(422, "invalid", message or _("Some of the input is not valid."), fields)


def form_invalid(form) -> ApiError:
    """A Django form's errors (the same rules the web pages apply), as a 422."""
    fields = {
        name if name != "__all__" else "non_field_errors": [str(e) for e in errors]
        for name, errors in form.errors.items()
    }
    return invalid(fields)


def pydantic_invalid(exc: pydantic.ValidationError) -> ApiError:
    """Pydantic's errors keyed by input name; a body that is not JSON is a 400."""
    return errors_invalid(exc.errors(include_url=False, include_input=False), skip=0)


def errors_invalid(errors: list[dict], skip: int) -> ApiError:
    """Pydantic's errors (ninja's carry their source first: skip=1) keyed by input name."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        if error.get("type") == "json_invalid":
            return ApiError(400, "bad_request", _("The request body is not valid JSON."))
        location = ".".join(str(part) for part in error.get("loc", ())[skip:]) or "body"
        fields.setdefault(location, []).append(_message(error))
    return invalid(fields)


def _message(error: dict) -> str:
    pattern = (error.get("ctx") or {}).get("pattern")
    if error.get("type") == "string_pattern_mismatch" and pattern == NO_NUL:
        return _("Contains a NUL character, which is not allowed.")
    return str(error.get("msg", ""))


Model = TypeVar("Model", bound=pydantic.BaseModel)


def parse_body(request, schema: type[Model]) -> Model:
    """The JSON body as `schema`, read only once the caller has checked access, so that
    an outsider learns nothing from the shape of the answer (404 either way) and a
    reader who may not write gets 403, as on the web pages."""
    if not request.body:
        raise ApiError(400, "bad_request", _("Send a JSON object in the request body."))
    try:
        return schema.model_validate_json(request.body)
    except pydantic.ValidationError as exc:
        raise pydantic_invalid(exc) from None


def body_schema(schema: type[pydantic.BaseModel]) -> dict:
    """The OpenAPI requestBody of an operation that reads its body with `parse_body`."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


# --- access -------------------------------------------------------------------------------


def in_visible_pilots(user, queryset: QuerySet, pilot_id: int | None, path: str = "pilot"):
    """`queryset` limited to rows of the pilots `user` reads (`path` leads from a row to
    its pilot); with `pilot_id`, to that pilot, and 404 if they may not read it."""
    if pilot_id is not None:
        return queryset.filter(**{path: get_pilot_for_user(user, pilot_id)})
    return queryset.filter(**{f"{path}__in": visible_pilots(user)})


def get_visible(user, queryset: QuerySet, pk: int, missing: str, path: str = "pilot"):
    """The row `pk` of `queryset` if it belongs to a pilot `user` reads; 404 otherwise."""
    found = in_visible_pilots(user, queryset, None, path).filter(pk=pk).first()
    if found is None:
        raise ApiError(404, "not_found", missing)
    return found


# --- pages --------------------------------------------------------------------------------


class PageQuery(Schema):
    cursor: str | None = Field(
        None,
        max_length=200,
        pattern=NO_NUL,
        description="`next_cursor` of the previous page; leave out for the first page.",
    )
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items a page.")


def page(
    queryset: QuerySet, query: PageQuery, *, name: str, row: Callable[[Any], Any] | None = None
) -> dict:
    """One page of `queryset` in id order, after the cursor's id.

    The order is the primary key's, so it is total and stable: a row added while someone
    pages appears on a later page or not at all, never twice, and nothing is skipped.
    The cursor is signed, and bound to the list it came from (`name`): a cursor altered,
    or carried to another list, is refused rather than read as some other position.
    """
    after = 0
    if query.cursor:
        try:
            after = signing.loads(query.cursor, salt=f"ninety.api.cursor.{name}")["after"]
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise invalid(
                {"cursor": [_("This cursor does not belong to this list. Start from page one.")]}
            ) from None
    rows = list(queryset.filter(pk__gt=after).order_by("pk")[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = None
    if more:
        next_cursor = signing.dumps({"after": rows[-1].pk}, salt=f"ninety.api.cursor.{name}")
    return {"items": [row(item) for item in rows] if row else rows, "next_cursor": next_cursor}


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The schema of a page of `item`s."""
    return pydantic.create_model(
        name,
        __base__=Schema,
        items=(list[item], ...),
        next_cursor=(
            str | None,
            Field(None, description="Pass as `cursor` for the next page; null on the last."),
        ),
    )


# --- shared output ------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str


def person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.username}


def web_url(name: str, *args) -> str:
    """The page in the web app, absolute, as links in e-mails are."""
    return f"{settings.SITE_URL}{reverse(name, args=args)}"
