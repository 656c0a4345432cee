"""Django REST framework with SimpleJWT as a WSGI application for Apache's
mod_wsgi, all of them Debian's packages (python3-djangorestframework,
python3-djangorestframework-simplejwt, libapache2-mod-wsgi-py3): the
deployment Django's documentation describes. The issuer, its key set and
the audience come from `orders.json` beside this file.

mod_wsgi does not hand the Authorization header to the application unless
`WSGIPassAuthorization On`: without it, every token is refused as
"Authentication credentials were not provided."
"""

import json
import os

import django
from django.conf import settings

with open(os.path.join(os.path.dirname(__file__), "orders.json")) as f:
    CONFIG = json.load(f)

settings.configure(
    DEBUG=False,
    SECRET_KEY="tests-only-not-a-secret",
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    DATABASES={},
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTTokenUserAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    },
    SIMPLE_JWT={
        "ALGORITHM": "RS256",
        "SIGNING_KEY": None,
        "VERIFYING_KEY": None,
        "JWK_URL": CONFIG["jwks_uri"],
        "AUDIENCE": CONFIG["audience"],
        "ISSUER": CONFIG["issuer"],
        "USER_ID_CLAIM": "sub",
        "TOKEN_TYPE_CLAIM": None,
    },
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.decorators import api_view  # noqa: E402
from rest_framework.response import Response  # noqa: E402


@api_view(["GET"])
def orders(request):
    return Response({"sub": request.auth.get("sub")})


urlpatterns = [path("orders", orders)]
application = get_wsgi_application()
