"""An API behind a session cookie, as a Flask application makes one: Flask's
own signed-cookie session (`session=…; HttpOnly; Path=/`, no SameSite),
POST /login signs in (401 to a wrong password), GET /api/me answers 401
without the session. It lets
pages of other origins call it with their cookies (CORS with credentials),
as the API of a single-page app served from elsewhere does. So that the
doctor is tested on a browser session whose cookie the browser did not
send: a script that did not ask to send cookies to another origin, a
cookie a cross-site answer set without SameSite=None.

Run as `python cookie_api.py`: prints the port, then serves on loopback
until standard input closes.
"""

import sys

from flask import Flask, jsonify, request, session

from loopback import serve_wsgi

app = Flask(__name__)
app.secret_key = "tests-only-not-a-secret"


@app.after_request
def cors(response):
    origin = request.headers.get("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
    return response


@app.post("/login")
def login():
    if request.form.get("user") != "alice" or request.form.get("password") != "wonderland":
        return jsonify(error="wrong user or password"), 401
    session["user"] = "alice"
    return jsonify(user="alice")


@app.get("/api/me")
def me():
    if "user" not in session:
        return jsonify(error="not signed in"), 401
    return jsonify(user=session["user"])


def main():
    print(serve_wsgi(app), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
