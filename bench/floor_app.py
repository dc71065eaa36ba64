"""The floor for bench/web.py: the least a Flask-SQLAlchemy list page can cost on this machine.

A paginated list of 20 opportunities (id order, ``db.paginate`` with its count) from the same
database, rendered through a Jinja layout, served by gunicorn like the site. What the site's
pages do beyond this is what they cost. As issue 13 defines it, the list has 20,000 rows (the
first 20,000 ids; ``FLOOR_ROWS`` changes it): over all 100,000, page 50's ``count(*)`` and
``OFFSET`` cost PostgreSQL more than most of the site's pages, and the floor stopped being one.

    CPSPARTNERS_SQLALCHEMY_DATABASE_URI=sqlite:////abs/path/bench.sqlite gunicorn -w 5 floor_app:app
"""

import os

from flask import Flask, render_template_string, request
from flask_sqlalchemy import SQLAlchemy

LAYOUT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><header><a href="/">Floor</a></header><main>{% block content %}{% endblock %}</main>
<footer><p>The bare list page.</p></footer></body></html>"""
PAGE = """{% extends layout %}{% block title %}Opportunities{% endblock %}{% block content %}
<h1>{{ pagination.total }} opportunities</h1><ul>{% for opp in pagination.items %}
<li><h2><a href="/o/{{ opp.id }}">{{ opp.title }}</a></h2><p>{{ opp.summary }}</p>
<p>{{ opp.kind }} · {{ opp.deadline or "Rolling" }}</p></li>{% endfor %}</ul>
<p>Page {{ pagination.page }} of {{ pagination.pages }}</p>{% endblock %}"""

app = Flask(__name__)
# The same database as the site (bench/web.py passes the site's variable).
# psycopg 3 is the driver installed, as the site itself names it for a plain postgresql:// URL.
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["CPSPARTNERS_SQLALCHEMY_DATABASE_URI"].replace(
    "postgresql://", "postgresql+psycopg://", 1
)
db = SQLAlchemy(app)
ROWS = int(os.environ.get("FLOOR_ROWS", "20000"))


class Opportunity(db.Model):
    __tablename__ = "opportunity"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String)
    summary = db.Column(db.String)
    kind = db.Column(db.String)
    deadline = db.Column(db.Date)


layout = app.jinja_env.from_string(LAYOUT)


@app.route("/")
def page():
    number = request.args.get("page", 1, type=int)
    pagination = db.paginate(
        db.select(Opportunity).where(Opportunity.id <= ROWS).order_by(Opportunity.id), page=number, per_page=20
    )
    return render_template_string(PAGE, pagination=pagination, layout=layout)
