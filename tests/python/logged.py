"""One Python API server as people run it, logging as it does by default,
so that `authdoctor logs` is tested on what these servers really write:

  uvicorn   FastAPI under uvicorn.run (its access log: address, no time)
  flask     Flask's own server, Werkzeug (the common format, its own time)
  django    Django's runserver (the time, no address)

Each protects GET /api/orders with a bearer token checked by PyJWT against
the issuer's key set (signature and expiry), and answers 401 otherwise,
logging the refusal with its traceback (`logger.exception`, in logging's
default format) as applications do.

Run as `python logged.py SERVER PORT JWKS_URI`; it logs to standard output
and standard error until killed.
"""

import logging
import sys

import jwt

SERVER, PORT, JWKS_URI = sys.argv[1], int(sys.argv[2]), sys.argv[3]
KEYS = jwt.PyJWKClient(JWKS_URI, cache_keys=True)
# The application's own logger, in logging.basicConfig's default format,
# beside (not through) the server's.
LOG = logging.getLogger("api")
_handler = logging.StreamHandler()
_handler.setFormatter(logging.Formatter(logging.BASIC_FORMAT))
LOG.addHandler(_handler)
LOG.propagate = False


def refused(authorization):
    """Why the request's token is refused, or None."""
    if not authorization.startswith("Bearer "):
        return "Missing bearer token"
    token = authorization[len("Bearer ") :]
    try:
        key = KEYS.get_signing_key_from_jwt(token)
        jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False})
    except jwt.PyJWTError as e:
        LOG.exception("token refused")
        return str(e)
    return None


if SERVER == "uvicorn":
    import uvicorn
    from fastapi import FastAPI, Header, HTTPException

    app = FastAPI()

    @app.get("/api/orders")
    def orders(authorization: str = Header(default="")):
        why = refused(authorization)
        if why:
            raise HTTPException(status_code=401, detail=why, headers={"WWW-Authenticate": "Bearer"})
        return {"orders": []}

    uvicorn.run(app, host="127.0.0.1", port=PORT)

elif SERVER == "flask":
    from flask import Flask, request

    app = Flask(__name__)

    @app.get("/api/orders")
    def orders():
        why = refused(request.headers.get("Authorization", ""))
        if why:
            return {"msg": why}, 401, {"WWW-Authenticate": "Bearer"}
        return {"orders": []}

    app.run(host="127.0.0.1", port=PORT)

elif SERVER == "django":
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        SECRET_KEY="only-for-a-test-" * 4,
        MIDDLEWARE=[],
    )
    from django.http import JsonResponse
    from django.urls import path

    def orders(request):
        why = refused(request.headers.get("Authorization", ""))
        if why:
            response = JsonResponse({"detail": why}, status=401)
            response["WWW-Authenticate"] = "Bearer"
            return response
        return JsonResponse({"orders": []})

    urlpatterns = [path("api/orders", orders)]
    django.setup()
    from django.core.management import call_command

    call_command("runserver", f"127.0.0.1:{PORT}", use_reloader=False)

else:
    sys.exit(f"unknown server {SERVER!r}: uvicorn, flask or django")
