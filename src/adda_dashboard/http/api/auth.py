"""Sign-in endpoints of the contract, plus refresh, logout, password change and the proof of a
sign-up's address (the emailed link, and a new link on request)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from adda_dashboard.http.deps import ContainerDep, CurrentActor, JsonBody
from adda_dashboard.http.openapi import answers, body_of
from adda_dashboard.http.responses import OrjsonResponse

router = APIRouter(prefix="/api/auth", tags=["auth"])

TEXT = {"type": "string"}
USER = {
    "type": "object",
    "properties": {"username": TEXT, "email": TEXT, "role": TEXT},
}
SESSION = {
    "message": TEXT,
    "token": TEXT,
    "refresh_token": TEXT,
    "expires_in": {"type": "integer"},
    "user": USER,
    "auth_source": TEXT,
    "legacy_sign_in": {
        "type": "boolean",
        "description": "email-only legacy sign-in: the tokens carry at most contributor rights",
    },
}


@router.post(
    "/login",
    openapi_extra=body_of(
        {"email": TEXT, "username": TEXT, "password": TEXT},
        [],
    ),
    responses=answers(
        (200, "Signed in", SESSION),
        {
            400: "A field is missing or malformed (named in `field`)",
            401: "Wrong email or password; or the address is not confirmed yet (`field` email, "
            "`email_verification_required`: a link was sent, a new one can be asked for)",
            403: "Email-only sign-in of a domain not allowed, or a disabled account",
            429: "Too many failed attempts (`Retry-After`)",
        },
    ),
)
def login(request: Request, container: ContainerDep, body: JsonBody) -> Any:
    client_ip = request.client.host if request.client else None
    return OrjsonResponse(container.auth.login(body, client_ip=client_ip))


@router.options("/login", include_in_schema=False)
def login_options() -> Response:
    return Response(status_code=204)


@router.post(
    "/signup",
    status_code=201,
    openapi_extra=body_of(
        {"username": TEXT, "email": TEXT, "password": TEXT, "confirm_password": TEXT},
        ["username", "email", "password", "confirm_password"],
    ),
    responses=answers(
        (
            201,
            "Account created with its address unconfirmed: a link was emailed to it, and the "
            "account signs in once the link is opened and this password entered (no tokens "
            "here)",
            {
                "message": TEXT,
                "user": USER,
                "email_verification_required": {"type": "boolean", "const": True},
                "verification_email_sent": {"type": "boolean"},
            },
        ),
        {
            400: "A field is missing or malformed (named in `field`)",
            409: "The username is taken, or the email is that of a confirmed account (a "
            "sign-up for an unconfirmed one replaces its username and password and mails a new "
            "link, with the same 201)",
            429: "Too many sign-ups and new links for this address in the window (`Retry-After`)",
        },
    ),
)
def signup(container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.auth.signup(body), status_code=201)


@router.post(
    "/verify-email",
    openapi_extra=body_of(
        {
            "token": {"type": "string", "description": "the token of the emailed link"},
            "password": {"type": "string", "description": "the password chosen at sign-up"},
        },
        ["token", "password"],
    ),
    responses=answers(
        (200, "The address is confirmed; nobody is signed in", {"message": TEXT, "email": TEXT}),
        {
            400: "The link's token is missing, not valid, already used or expired (`field` "
            "token); or the password is missing or not the sign-up's (`field` password: the "
            "link is not spent, and whoever did not sign up claims the address by signing up "
            "again)",
            429: "Too many wrong passwords for the account: the sign-in limit (`Retry-After`)",
        },
    ),
)
def verify_email(request: Request, container: ContainerDep, body: JsonBody) -> Any:
    """The emailed link's token and the sign-up's password (the confirm page posts the same)."""
    client_ip = request.client.host if request.client else None
    return OrjsonResponse(container.verification.confirm(body, client_ip=client_ip))


@router.post(
    "/resend-verification",
    status_code=202,
    openapi_extra=body_of({"email": TEXT}, ["email"]),
    responses=answers(
        (
            202,
            "The same answer whether or not an account awaits a link: a new one is sent if so",
            {"message": TEXT},
        ),
        {
            400: "The email is missing or malformed (`field` email)",
            429: "Too many links asked for this address in the window (`Retry-After`)",
        },
    ),
)
def resend_verification(container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.verification.resend(body), status_code=202)


@router.post("/refresh")
def refresh(container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.auth.refresh(body))


@router.post("/logout")
def logout(actor: CurrentActor, container: ContainerDep) -> Any:
    return container.auth.logout(actor)


@router.post("/change-password")
def change_password(actor: CurrentActor, container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.auth.change_password(actor, body))


@router.get("/verify")
def verify(actor: CurrentActor, container: ContainerDep) -> Any:
    return container.auth.verify(actor)


@router.get("/me")
def me(actor: CurrentActor, container: ContainerDep) -> Any:
    return container.auth.me(actor)


@router.get("/allowed-domains")
def allowed_domains(container: ContainerDep) -> Any:
    return container.auth.allowed_domains(container.settings.google_client_id)


@router.post("/google-login")
def google_login(container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.google_login.login(body))


@router.get("/google-verify")
def google_verify(actor: CurrentActor, container: ContainerDep) -> Any:
    return container.google_login.verify(actor)
