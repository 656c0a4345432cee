"""Resource servers as people build them with popular Python packages, each
configured the way its documentation shows and trusting one issuer, audience
and key set:

  FastAPI + PyJWT (PyJWKClient)         the exception's words as `detail`
  FastAPI, as its security tutorial     "Not authenticated", "Could not validate
  (OAuth2PasswordBearer)                credentials" for every bad token
  Flask + Flask-JWT-Extended            {"msg": ...}, 401 or 422
  Django REST framework + SimpleJWT     {"detail", "code", "messages"}
  Flask + Authlib (RFC 9068 validator)  RFC 6750 challenges, one description
                                        for every invalid token
  Strawberry (GraphQL, permission       a 200 whose errors say "User is not
  classes, on FastAPI)                  authenticated" (or "not authorized")
  Litestar (JWTAuth, the issuer's key   {"status_code": 401, "detail": ...},
  as PEM, a guard for the scope)        the words Litestar chose
  Flask + python-jose, as Auth0's       {"code", "description"}: token_expired,
  Python API quickstart (requires_auth) invalid_claims for audience or issuer
                                        alike, invalid_header for the rest
  MCP Python SDK (MCPServer with a      401 "Authentication required" for every
  TokenVerifier and AuthSettings)       failure, missing credentials too; the
                                        RFC 9728 metadata named in the challenge

Run as `python stacks.py ISSUER JWKS_URI AUDIENCE SCOPE`: prints one JSON
line (stack name -> URL of its protected route), then serves on loopback
until standard input closes.
"""

import json
import sys

import jwt
from loopback import accepting, bound, serve_asgi, serve_wsgi

ISSUER, JWKS_URI, AUDIENCE, SCOPE = sys.argv[1:5]


def fastapi_stack():
    from fastapi import Depends, FastAPI, HTTPException, Security
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    app = FastAPI()
    bearer = HTTPBearer()
    keys = jwt.PyJWKClient(JWKS_URI, cache_keys=False)

    def claims(creds: HTTPAuthorizationCredentials = Security(bearer)):
        token = creds.credentials
        try:
            key = keys.get_signing_key_from_jwt(token)
            return jwt.decode(token, key.key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER)
        except jwt.PyJWTError as e:
            raise HTTPException(status_code=401, detail=str(e), headers={"WWW-Authenticate": "Bearer"})

    @app.get("/api/orders")
    def orders(c=Depends(claims)):
        if SCOPE not in str(c.get("scope", "")).split():
            raise HTTPException(status_code=403, detail="Not enough permissions")
        return {"sub": c["sub"]}

    port = serve_asgi(app)
    return port, True


def fastapi_tutorial_stack():
    """As FastAPI's tutorial "OAuth2 with Password (and hashing), Bearer with
    JWT tokens" writes get_current_user, with the key from the issuer's set."""
    from fastapi import Depends, FastAPI, HTTPException, status
    from fastapi.security import OAuth2PasswordBearer

    app = FastAPI()
    oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
    keys = jwt.PyJWKClient(JWKS_URI, cache_keys=False)

    def get_current_user(token: str = Depends(oauth2_scheme)):
        credentials_exception = HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
        try:
            key = keys.get_signing_key_from_jwt(token)
            payload = jwt.decode(token, key.key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER)
        except jwt.PyJWTError:
            raise credentials_exception
        if payload.get("sub") is None:
            raise credentials_exception
        return payload

    @app.get("/api/orders")
    def orders(user=Depends(get_current_user)):
        return {"sub": user["sub"]}

    port = serve_asgi(app)
    return port, False


def flask_stack():
    from flask import Flask, jsonify
    from flask_jwt_extended import JWTManager, get_jwt, jwt_required

    app = Flask("orders")
    app.config.update(
        JWT_ALGORITHM="RS256",
        JWT_DECODE_ALGORITHMS=["RS256"],
        JWT_DECODE_AUDIENCE=AUDIENCE,
        JWT_DECODE_ISSUER=ISSUER,
        JWT_TOKEN_LOCATION=["headers"],
        JWT_PUBLIC_KEY="unused: keys come from the issuer's key set",
    )
    manager = JWTManager(app)
    keys = jwt.PyJWKClient(JWKS_URI, cache_keys=False)

    # The documented way to verify with more than one key.
    @manager.decode_key_loader
    def key_for(header, payload):
        return keys.get_signing_key(header.get("kid")).key

    @app.get("/api/orders")
    @jwt_required()
    def orders():
        c = get_jwt()
        if SCOPE not in str(c.get("scope", "")).split():
            return jsonify(msg="Missing required scope"), 403
        return jsonify(sub=c["sub"])

    return serve_wsgi(app), True


def authlib_stack():
    import json as _json
    import urllib.request

    from authlib.integrations.flask_oauth2 import ResourceProtector, current_token
    from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
    from flask import Flask, jsonify

    # As Authlib's documentation shows: get_jwks fetches the issuer's key
    # set (here on every call, so a rotation is seen at once).
    class Validator(JWTBearerTokenValidator):
        def get_jwks(self):
            with urllib.request.urlopen(JWKS_URI, timeout=5) as r:
                return _json.load(r)

    require_oauth = ResourceProtector()
    require_oauth.register_token_validator(Validator(issuer=ISSUER, resource_server=AUDIENCE))
    app = Flask("orders-authlib")

    @app.get("/api/orders")
    @require_oauth(SCOPE)
    def orders():
        return jsonify(sub=current_token["sub"])

    return serve_wsgi(app), True


def litestar_stack():
    import urllib.request

    from cryptography.hazmat.primitives import serialization
    from litestar import Litestar, Request, get
    from litestar.connection import ASGIConnection
    from litestar.exceptions import PermissionDeniedException
    from litestar.security.jwt import JWTAuth, Token

    # As Litestar's documentation shows, with RS256: the token secret is the
    # issuer's public key, here read from its key set once at start.
    with urllib.request.urlopen(JWKS_URI, timeout=5) as r:
        jwk = json.load(r)["keys"][0]
    pem = (
        jwt.PyJWK(jwk)
        .key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    async def user(token: Token, connection: ASGIConnection):
        return {"sub": token.sub, "scope": str(token.extras.get("scope", ""))}

    def needs_scope(connection: ASGIConnection, _handler):
        if SCOPE not in connection.user["scope"].split():
            raise PermissionDeniedException("Missing scope " + SCOPE)

    auth = JWTAuth[dict](
        retrieve_user_handler=user,
        token_secret=pem,
        algorithm="RS256",
        accepted_audiences=[AUDIENCE],
        accepted_issuers=[ISSUER],
    )

    @get("/api/orders", guards=[needs_scope])
    async def orders(request: Request) -> dict:
        return {"sub": request.user["sub"]}

    app = Litestar(route_handlers=[orders], on_app_init=[auth.on_app_init])
    port = serve_asgi(app)
    return port, True


def django_stack():
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="tests-only-not-a-secret",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        DATABASES={},
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication"],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        },
        SIMPLE_JWT={
            "ALGORITHM": "RS256",
            "SIGNING_KEY": None,
            "VERIFYING_KEY": None,
            "JWK_URL": JWKS_URI,
            "AUDIENCE": AUDIENCE,
            "ISSUER": ISSUER,
            "USER_ID_CLAIM": "sub",
            "TOKEN_TYPE_CLAIM": None,
        },
    )
    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.urls import path
    from rest_framework.decorators import api_view
    from rest_framework.response import Response

    @api_view(["GET"])
    def orders(request):
        scope = str(request.auth.get("scope", "")) if request.auth else ""
        if SCOPE not in scope.split():
            return Response({"detail": "You do not have permission to perform this action."}, status=403)
        return Response({"sub": request.auth.get("sub")})

    global urlpatterns
    urlpatterns = [path("api/orders", orders)]
    return serve_wsgi(get_wsgi_application()), True


def strawberry_stack():
    """Strawberry as its permissions guide shows: a permission class per
    field, whose message is the error's when it refuses; served by its
    FastAPI router. A refusal is an error in a 200, with no code."""
    import strawberry
    from fastapi import FastAPI
    from strawberry.fastapi import GraphQLRouter
    from strawberry.permission import BasePermission

    keys = jwt.PyJWKClient(JWKS_URI, cache_keys=False)

    def claims(info):
        auth = info.context["request"].headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return None
        token = auth[len("Bearer "):]
        try:
            key = keys.get_signing_key_from_jwt(token)
            return jwt.decode(token, key.key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER)
        except jwt.PyJWTError:
            return None

    class IsAuthenticated(BasePermission):
        message = "User is not authenticated"

        def has_permission(self, source, info, **kwargs):
            return claims(info) is not None

    class HasScope(BasePermission):
        message = "User is not authorized"

        def has_permission(self, source, info, **kwargs):
            c = claims(info) or {}
            return SCOPE in str(c.get("scope", "")).split()

    @strawberry.type
    class Query:
        @strawberry.field(permission_classes=[IsAuthenticated, HasScope])
        def orders(self) -> list[str]:
            return ["a"]

    app = FastAPI()
    app.include_router(GraphQLRouter(strawberry.Schema(query=Query)), prefix="/graphql")
    port = serve_asgi(app)
    return port, True, "/graphql", json.dumps({"query": "{ orders }"})


def auth0_quickstart_stack():
    """Flask with python-jose as Auth0's Python API quickstart writes it,
    copied into many services: get_token_auth_header and requires_auth,
    the key set fetched on every request and the key picked by kid, the
    AuthError handler answering its dict. Its own quirks kept: a token
    without a kid, or one whose header cannot be read, raises past the
    handler (a 500)."""
    from functools import wraps
    from urllib.request import urlopen

    from flask import Flask, g, jsonify, request
    from jose import jwt as jose_jwt

    app = Flask("auth0-quickstart")

    class AuthError(Exception):
        def __init__(self, error, status_code):
            self.error = error
            self.status_code = status_code

    @app.errorhandler(AuthError)
    def handle_auth_error(ex):
        response = jsonify(ex.error)
        response.status_code = ex.status_code
        return response

    def get_token_auth_header():
        auth = request.headers.get("Authorization", None)
        if not auth:
            raise AuthError({"code": "authorization_header_missing", "description": "Authorization header is expected"}, 401)
        parts = auth.split()
        if parts[0].lower() != "bearer":
            raise AuthError({"code": "invalid_header", "description": "Authorization header must start with Bearer"}, 401)
        elif len(parts) == 1:
            raise AuthError({"code": "invalid_header", "description": "Token not found"}, 401)
        elif len(parts) > 2:
            raise AuthError({"code": "invalid_header", "description": "Authorization header must be Bearer token"}, 401)
        return parts[1]

    def requires_auth(f):
        @wraps(f)
        def decorated(*args, **kwargs):
            token = get_token_auth_header()
            jwks = json.loads(urlopen(JWKS_URI).read())
            unverified_header = jose_jwt.get_unverified_header(token)
            rsa_key = {}
            for key in jwks["keys"]:
                if key["kid"] == unverified_header["kid"]:
                    rsa_key = {"kty": key["kty"], "kid": key["kid"], "use": key.get("use"), "n": key["n"], "e": key["e"]}
            if rsa_key:
                try:
                    payload = jose_jwt.decode(token, rsa_key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER)
                except jose_jwt.ExpiredSignatureError:
                    raise AuthError({"code": "token_expired", "description": "token is expired"}, 401)
                except jose_jwt.JWTClaimsError:
                    raise AuthError({"code": "invalid_claims", "description": "incorrect claims, please check the audience and issuer"}, 401)
                except Exception:
                    raise AuthError({"code": "invalid_header", "description": "Unable to parse authentication token."}, 401)
                g.current_user = payload
                return f(*args, **kwargs)
            raise AuthError({"code": "invalid_header", "description": "Unable to find appropriate key"}, 401)

        return decorated

    def requires_scope(required_scope):
        token = get_token_auth_header()
        unverified_claims = jose_jwt.get_unverified_claims(token)
        return required_scope in str(unverified_claims.get("scope", "")).split()

    @app.route("/api/orders")
    @requires_auth
    def orders():
        if requires_scope(SCOPE):
            return jsonify(sub=g.current_user["sub"])
        raise AuthError({"code": "Unauthorized", "description": "You don't have access to this resource"}, 403)

    return serve_wsgi(app), True


def mcp_stack():
    """An MCP server as the Python SDK's authorization docs build one: a
    TokenVerifier of the app's own (PyJWT against the issuer's key set, for
    this server's URL: an MCP server is its own resource, RFC 8707), and
    AuthSettings naming the issuer, the server's URL and the scope, from
    which the SDK serves its RFC 9728 metadata and writes its challenges."""
    from mcp.server.auth.provider import AccessToken
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import MCPServer

    sock = bound()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    keys = jwt.PyJWKClient(JWKS_URI, cache_keys=False)

    class Verifier:
        async def verify_token(self, token):
            try:
                key = keys.get_signing_key_from_jwt(token)
                c = jwt.decode(token, key.key, algorithms=["RS256"], audience=url, issuer=ISSUER)
            except jwt.PyJWTError:
                return None
            return AccessToken(
                token=token,
                client_id=str(c.get("client_id", c.get("sub", ""))),
                scopes=str(c.get("scope", "")).split(),
                expires_at=c.get("exp"),
                resource=url,
            )

    server = MCPServer(
        "orders",
        log_level="WARNING",
        token_verifier=Verifier(),
        auth=AuthSettings(issuer_url=ISSUER, resource_server_url=url, required_scopes=[SCOPE]),
    )
    app = server.streamable_http_app(json_response=True, stateless_http=True)
    port = serve_asgi(app, sock)
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "authdoctor-test", "version": "1"}},
    }
    # Its own audience, and what its clients send and it publishes.
    extra = {"audience": url, "headers": [["Accept", "application/json, text/event-stream"]], "metadata": True}
    return port, True, "/mcp", json.dumps(call), extra


def main():
    out = {}
    for name, start in [
        ("fastapi+pyjwt", fastapi_stack),
        ("fastapi (security tutorial)", fastapi_tutorial_stack),
        ("flask-jwt-extended", flask_stack),
        ("django-rest-framework-simplejwt", django_stack),
        ("flask+authlib-rfc9068", authlib_stack),
        ("strawberry (GraphQL, permission classes)", strawberry_stack),
        ("litestar (JWTAuth, key as PEM)", litestar_stack),
        ("flask+python-jose (Auth0's quickstart)", auth0_quickstart_stack),
        ("MCP Python SDK (MCPServer, TokenVerifier, AuthSettings)", mcp_stack),
    ]:
        # A GraphQL stack also gives its path and the query its clients
        # POST; an MCP server its call, and fields of its own (audience…).
        got = start()
        defaults = (None, None, "/api/orders", None, {})
        port, scope, route, body, extra = (*got, *defaults[len(got) :])
        out[name] = {"url": f"http://127.0.0.1:{port}{route}", "enforcesScope": scope, **extra}
        if body:
            out[name]["body"] = body
        # Ready when it accepts a connection (uvicorn starts in its thread).
        accepting(port)
    print(json.dumps(out), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
