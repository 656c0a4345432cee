"""Servers that take credentials of their own (a password, a key, an opaque
token they look up), built with popular Python packages as their
documentation shows:

  Flask-HTTPAuth HTTPBasicAuth     Basic, "Unauthorized Access"
  Flask-HTTPAuth HTTPDigestAuth    Digest (RFC 7616, MD5, qop=auth)
  Flask-HTTPAuth HTTPTokenAuth     Bearer keys it checks itself; a bare 401
  Django REST framework            `Authorization: Token <key>` and its words
    TokenAuthentication            ("Invalid token.")
  django-oauth-toolkit under DRF   opaque tokens in its database: the challenge
    (OAuth2Authentication)         judges them, the body says "not provided"
  FastAPI's security classes       APIKeyHeader, APIKeyQuery (its own `APIKey`
                                   challenge, "Not authenticated"), HTTPBasic,
                                   with the words of its documentation's examples

Run as `python key_stacks.py`: prints one JSON line of scenarios (each a
request, the fault made in it, and whether the doctor must name that
cause first or among its readings), then serves on loopback until
standard input closes.
"""

import datetime
import json
import os
import sys
import tempfile
from base64 import b64encode

from loopback import accepting, serve_asgi, serve_wsgi


def serve(app):
    return f"http://127.0.0.1:{serve_wsgi(app)}"


PASSWORD = "orders-password-0123"
KEY = "orders-key-0123456789abcdef"
scenarios = []


def basic(user, password):
    return [["Authorization", "Basic " + b64encode(f"{user}:{password}".encode()).decode()]]


def bearer(t):
    return [["Authorization", f"Bearer {t}"]]


def add(stack, url, cases):
    for case in cases:
        cause, headers, rank, curl = (*case, "first", [])[:4]
        scenarios.append({"stack": stack, "cause": cause, "url": url, "headers": headers, "rank": rank, "curl": curl})


def flask_httpauth():
    from flask import Flask, jsonify
    from flask_httpauth import HTTPBasicAuth, HTTPDigestAuth, HTTPTokenAuth

    users = {"admin": PASSWORD}

    app = Flask("basic")
    auth = HTTPBasicAuth()
    auth.verify_password(lambda u, p: u if users.get(u) == p else None)
    app.route("/api/orders")(auth.login_required(lambda: jsonify(orders=[])))
    url = serve(app) + "/api/orders"
    add("Flask-HTTPAuth (HTTPBasicAuth)", url, [
        (None, basic("admin", PASSWORD)),
        ("credentials.missing", []),
        ("credentials.invalid", basic("admin", "a-wrong-password")),
        ("scheme.mismatch", bearer(KEY)),
    ])

    app = Flask("digest")
    app.config["SECRET_KEY"] = "tests-only-not-a-secret"
    auth = HTTPDigestAuth()
    auth.get_password(users.get)
    app.route("/api/orders")(auth.login_required(lambda: jsonify(orders=[])))
    url = serve(app) + "/api/orders"
    add("Flask-HTTPAuth (HTTPDigestAuth)", url, [
        ("credentials.missing", []),
        ("scheme.mismatch", basic("admin", PASSWORD)),
        ("scheme.mismatch", bearer(KEY)),
        # curl --digest: its nonce lives in the session cookie it sets
        # with the challenge, which curl sends back only with its cookie
        # engine on.
        (None, [], "first", ["--digest", "-b", "", "-u", f"admin:{PASSWORD}"]),
        ("cookie.rejected", [], "first", ["--digest", "-u", f"admin:{PASSWORD}"]),
        ("credentials.invalid", [], "first", ["--digest", "-u", "admin:a-wrong-password"]),
        ("credentials.invalid", [], "first", ["--digest", "-b", "", "-u", "admin:a-wrong-password"]),
    ])

    app = Flask("token")
    auth = HTTPTokenAuth(scheme="Bearer")
    auth.verify_token(lambda t: "alice" if t == KEY else None)
    app.route("/api/orders")(auth.login_required(lambda: jsonify(orders=[])))
    url = serve(app) + "/api/orders"
    add("Flask-HTTPAuth (HTTPTokenAuth)", url, [
        (None, bearer(KEY)),
        ("credentials.missing", []),
        ("scheme.mismatch", basic("admin", PASSWORD)),
        # A bare 401: an unknown key, or a JWT-only API's refusal of an
        # opaque token; both readings are owed.
        ("credentials.invalid", bearer("orders-key-retired-0123456789"), "named"),
    ])


def django_stacks():
    import django
    from django.conf import settings

    db = os.path.join(tempfile.mkdtemp(prefix="authdoctor-keys-"), "db.sqlite3")
    settings.configure(
        DEBUG=False,
        SECRET_KEY="tests-only-not-a-secret",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "rest_framework.authtoken",
            "oauth2_provider",
            "django.contrib.sessions",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db}},
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        REST_FRAMEWORK={"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]},
        OAUTH2_PROVIDER={"SCOPES": {"read": "Read orders", "write": "Write orders"}},
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, run_syncdb=True)
    from django.contrib.auth.models import User
    from django.core.wsgi import get_wsgi_application
    from django.urls import path
    from django.utils import timezone
    from oauth2_provider.contrib.rest_framework import OAuth2Authentication
    from oauth2_provider.models import AccessToken, Application
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.authtoken.models import Token
    from rest_framework.decorators import api_view, authentication_classes
    from rest_framework.response import Response

    alice = User.objects.create_user("alice", password=PASSWORD)
    drf_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    Token.objects.create(user=alice, key=drf_key)
    client = Application.objects.create(
        name="orders-cli",
        client_type="confidential",
        authorization_grant_type="client-credentials",
        user=alice,
    )

    def dot_token(value, minutes):
        AccessToken.objects.create(
            user=alice,
            application=client,
            token=value,
            scope="read",
            expires=timezone.now() + datetime.timedelta(minutes=minutes),
        )

    dot_token("dot-good-0123456789abcdef", 60)
    dot_token("dot-expired-0123456789abcdef", -5)

    @api_view(["GET"])
    @authentication_classes([TokenAuthentication])
    def drf_orders(request):
        return Response({"orders": []})

    @api_view(["GET"])
    @authentication_classes([OAuth2Authentication])
    def dot_orders(request):
        return Response({"orders": []})

    # DRF's default authentication (the session's, then Basic): the
    # session's asks for nothing, so every refusal is a 403.
    @api_view(["GET"])
    def default_orders(request):
        return Response({"orders": []})

    global urlpatterns
    urlpatterns = [
        path("drf/api/orders", drf_orders),
        path("dot/api/orders", dot_orders),
        path("default/api/orders", default_orders),
    ]
    base = serve(get_wsgi_application())
    from django.test import Client

    browser = Client()
    browser.force_login(alice)
    session = browser.cookies["sessionid"].value
    add("Django REST framework (default authentication: session, then Basic)", base + "/default/api/orders", [
        (None, [["Cookie", f"sessionid={session}"]]),
        (None, basic("alice", PASSWORD)),
        ("credentials.missing", []),
        ("credentials.invalid", basic("alice", "a-wrong-password")),
        # Signed with another key, or cut short: not a session it knows.
        ("cookie.rejected", [["Cookie", f"sessionid={session[:-8]}AAAAAAAA"]]),
    ])
    add("Django REST framework (TokenAuthentication)", base + "/drf/api/orders", [
        (None, [["Authorization", f"Token {drf_key}"]]),
        ("credentials.missing", []),
        ("credentials.invalid", [["Authorization", "Token 0000b09199c62bcf9418ad846dd0e4bbdfc6ee4b"]]),
        ("scheme.mismatch", bearer(drf_key)),
    ])
    add("django-oauth-toolkit (OAuth2Authentication under DRF)", base + "/dot/api/orders", [
        (None, bearer("dot-good-0123456789abcdef")),
        ("credentials.missing", []),
        ("token.expired", bearer("dot-expired-0123456789abcdef")),
        ("scheme.mismatch", [["Authorization", "Token dot-good-0123456789abcdef"]]),
        ("credentials.invalid", bearer("dot-unknown-0123456789abcdef"), "named"),
    ])


def fastapi_keys():
    from fastapi import Depends, FastAPI, HTTPException, Security
    from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPBasic, HTTPBasicCredentials

    app = FastAPI()
    header_key = APIKeyHeader(name="X-API-Key")
    query_key = APIKeyQuery(name="api_key")
    basic_auth = HTTPBasic()

    @app.get("/header/api/orders")
    def by_header(key: str = Security(header_key)):
        if key != KEY:
            raise HTTPException(status_code=403, detail="Could not validate API key")
        return {"orders": []}

    @app.get("/query/api/orders")
    def by_query(key: str = Security(query_key)):
        if key != KEY:
            raise HTTPException(status_code=401, detail="Invalid API Key")
        return {"orders": []}

    @app.get("/basic/api/orders")
    def by_basic(c: HTTPBasicCredentials = Depends(basic_auth)):
        if (c.username, c.password) != ("admin", PASSWORD):
            raise HTTPException(status_code=401, detail="Incorrect username or password", headers={"WWW-Authenticate": "Basic"})
        return {"orders": []}

    port = serve_asgi(app)
    accepting(port)
    base = f"http://127.0.0.1:{port}"
    add("FastAPI APIKeyHeader (X-API-Key)", base + "/header/api/orders", [
        (None, [["X-API-Key", KEY]]),
        ("credentials.missing", []),
        ("credentials.invalid", [["X-API-Key", "orders-key-retired-0123456789"]]),
        ("scheme.mismatch", [["Api-Key", KEY]]),
        ("scheme.mismatch", bearer(KEY)),
    ])
    add("FastAPI APIKeyQuery (?api_key=)", base + "/query/api/orders", [
        (None, []),
        ("credentials.missing", []),
        ("credentials.invalid", []),
        ("scheme.mismatch", [["X-API-Key", KEY]]),
    ])
    # The key in the query string: the URL of each case.
    q = [s for s in scenarios if s["stack"].startswith("FastAPI APIKeyQuery")]
    q[0]["url"] += f"?api_key={KEY}"
    q[2]["url"] += "?api_key=orders-key-retired-0123456789"
    add("FastAPI HTTPBasic", base + "/basic/api/orders", [
        (None, basic("admin", PASSWORD)),
        ("credentials.missing", []),
        ("credentials.invalid", basic("admin", "a-wrong-password")),
        ("scheme.mismatch", bearer(KEY)),
    ])


def main():
    flask_httpauth()
    django_stacks()
    fastapi_keys()
    print(json.dumps({"scenarios": scenarios}), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
