"""Forms: list them, read one with its fields, read its submissions, and submit it for a contact.

Paths are Gist's SDK's (gist-api.md §7.6; one form is `GET /forms?form_id=`, not `/forms/{id}`).
The field and submission shapes are `[?]` there, so `FormField` and `Submission` read every
plausible spelling. A submission is sent as `{"email", "fields": {...}}` (the body of the same path
in ConvertKit's API, which Gist's mirrors [I]).
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, Field

from gist_mcp._json import JSON, JSONObject, as_object, objects_in
from gist_mcp.catalog._listing import Listing, Paged
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import Input, PropertyValue, as_bool, as_text, gist_id, iso, loose_id, optional, unwrap
from gist_mcp.catalog._toolset import Toolset
from gist_mcp.errors import NotFoundError

NOT_FOUND_HINT = "Find the form's id with list_forms."
"""The next step after a 404 from a forms tool."""

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"

_FORM_ID = Field(ge=1, description="The form's id, as returned by list_forms.")


def _whole(value: Any) -> int | None:
    """An id sent as a number or a digit string, else None."""
    text = str(value)
    return int(text) if text.isdigit() else None


class FormField(BaseModel):
    """One field of a form: the `name` to use in submit_form's `fields`."""

    name: str
    label: str | None = optional()
    type: str | None = optional()
    required: bool | None = optional()

    @classmethod
    def from_gist(cls, raw: JSON) -> Self:
        if not isinstance(raw, dict):
            return cls(name=str(raw))
        name = raw.get("name") or raw.get("key") or raw.get("id") or raw.get("label") or ""
        required = raw.get("required")
        return cls(
            name=str(name),
            label=as_text(raw.get("label") or raw.get("title")),
            type=as_text(raw.get("type") or raw.get("field_type")),
            required=None if required is None else as_bool(required),
        )


class Form(BaseModel):
    """A form (§6.6) with its fields."""

    id: int
    title: str
    form_type: str | None = optional()
    status: str | None = optional()
    fields: list[FormField]
    created_at: str | None = optional()

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        fields = raw.get("fields")
        return cls(
            id=gist_id(raw.get("id")),
            title=str(raw.get("title") or raw.get("name") or ""),
            form_type=as_text(raw.get("form_type") or raw.get("type")),
            status=as_text(raw.get("status")),
            fields=[FormField.from_gist(f) for f in fields] if isinstance(fields, list) else [],
            created_at=iso(raw.get("created_at")),
        )


class Submission(BaseModel):
    """One submission of a form: who sent it and the values given."""

    id: int | str | None = optional()
    form_id: int | None = optional()
    contact_id: int | None = optional()
    email: str | None = optional()
    fields: dict[str, Any]
    submitted_at: str | None = optional()

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        objects = (as_object(raw.get(k)) for k in ("fields", "data", "values", "answers"))
        values = next((found for found in objects if found is not None), None) or {}
        nested = raw.get("contact")
        contact = as_object(nested) or {}
        return cls(
            id=loose_id(raw.get("id")),
            form_id=_whole(raw.get("form_id")),
            contact_id=_whole(raw.get("contact_id") or contact.get("id")),
            email=as_text(raw.get("email") or contact.get("email") or values.get("email")),
            fields=values,
            submitted_at=iso(raw.get("created_at") or raw.get("submitted_at")),
        )


class GetFormInput(Input):
    form_id: int = _FORM_ID


class ListFormSubmissionsInput(Paged):
    form_id: int = _FORM_ID


FormValues = Annotated[
    dict[str, PropertyValue] | None,
    Field(description='Values by field name (get_form lists them), e.g. {"name": "Ada"}: booleans, numbers, strings.'),
]


class SubmitFormInput(Input):
    form_id: int = _FORM_ID
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254, description="Email of the person submitting.")
    fields: FormValues = None


class FormSubmitted(BaseModel):
    """What submit_form sent, and the submission when Gist returned it."""

    form_id: int
    email: str
    submission: Submission | None = optional("The stored submission, when Gist's answer carries it.")


FORMS = Listing("forms", Form)
SUBMISSIONS = Listing("submissions", Submission)


async def list_forms(ctx: ToolContext, args: Paged) -> BaseModel:
    return await FORMS.fetch(ctx.gist, args)


async def get_form(ctx: ToolContext, args: GetFormInput) -> Form:
    response = await ctx.gist.request("GET", "forms", params={"form_id": args.form_id})
    data = as_object(response.data) or {}
    listed = data.get("forms")
    if isinstance(listed, list):
        # A server that ignores form_id answers the whole list: only the form with this id counts.
        raw = next((f for f in objects_in(listed) if str(f.get("id")) == str(args.form_id)), None) or {}
    else:
        raw = unwrap(data, "form")
    if not raw.get("id"):
        raise NotFoundError(404, "GET", "/forms", f"no form with id {args.form_id}", NOT_FOUND_HINT)
    return Form.from_gist(raw)


async def list_form_submissions(ctx: ToolContext, args: ListFormSubmissionsInput) -> BaseModel:
    return await SUBMISSIONS.fetch(ctx.gist, args, path=f"forms/{args.form_id}/submissions")


async def submit_form(ctx: ToolContext, args: SubmitFormInput) -> FormSubmitted:
    body: dict[str, Any] = {"email": args.email}
    if args.fields:
        body["fields"] = args.fields
    response = await ctx.gist.request("POST", f"forms/{args.form_id}/subscribe", json_body=body)
    data = as_object(response.data) or {}
    raw = next((found for k in ("submission", "subscription") if (found := as_object(data.get(k))) is not None), None)
    return FormSubmitted(
        form_id=args.form_id, email=args.email, submission=Submission.from_gist(raw) if raw is not None else None
    )


LIST_FORMS = Operation(
    name="list_forms",
    title="List forms",
    toolset="forms",
    description=FORMS.model.describe("List the workspace's forms (signup, demo request...)."),
    gist_call="GET /forms",
    input=Paged,
    output=FORMS.model,
    run=list_forms,
    read_only=True,
    destructive=False,
    idempotent=True,
)

GET_FORM = Operation(
    name="get_form",
    title="Get form",
    toolset="forms",
    description="Get one form and its fields: the names submit_form's fields take.",
    gist_call="GET /forms?form_id=",
    input=GetFormInput,
    output=Form,
    run=get_form,
    read_only=True,
    destructive=False,
    idempotent=True,
)

LIST_FORM_SUBMISSIONS = Operation(
    name="list_form_submissions",
    title="List form submissions",
    toolset="forms",
    description=SUBMISSIONS.model.describe("List a form's submissions, newest first."),
    gist_call="GET /forms/{id}/submissions",
    input=ListFormSubmissionsInput,
    output=SUBMISSIONS.model,
    run=list_form_submissions,
    read_only=True,
    destructive=False,
    idempotent=True,
)

SUBMIT_FORM = Operation(
    name="submit_form",
    title="Submit form",
    toolset="forms",
    description=(
        "Submit a form for a person, as if they filled it in: Gist records the submission and its "
        "follow-ups run (a new email may become a lead). Field names from get_form."
    ),
    gist_call="POST /forms/{id}/subscribe",
    input=SubmitFormInput,
    output=FormSubmitted,
    run=submit_form,
    read_only=False,
    destructive=False,
    idempotent=False,
)


TOOLSET = Toolset(
    name="forms",
    description="Forms: list them and their submissions, and submit one for a person.",
    not_found_hint=NOT_FOUND_HINT,
    operations=(LIST_FORMS, GET_FORM, LIST_FORM_SUBMISSIONS, SUBMIT_FORM),
    default=False,
)
