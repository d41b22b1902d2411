"""The yardstick: a bare Flask page, served the same way as the LMS."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "<!doctype html><title>bare</title><p>Halo</p>"
