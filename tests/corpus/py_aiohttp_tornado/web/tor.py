import os
import subprocess

import tornado.web
from tornado.httpclient import AsyncHTTPClient


class SearchHandler(tornado.web.RequestHandler):
    def initialize(self, db):
        self.db = db

    def get(self):
        q = self.get_argument("q")
        rows = self.db.execute("SELECT * FROM items WHERE name = '%s'" % q)  # tavo-label: vuln sql-injection
        self.write("<ul>" + "".join(f"<li>{r}</li>" for r in rows) + "</ul>")
        self.write("<p>You searched " + q + "</p>")  # tavo-label: vuln xss

    def post(self):
        q = self.get_body_argument("q")
        rows = self.db.execute("SELECT * FROM items WHERE name = %s", (q,))  # tavo-label: safe sql-injection
        self.render("results.html", rows=rows, q=q)  # tavo-label: safe xss


class FetchHandler(tornado.web.RequestHandler):
    async def get(self):
        url = self.get_query_argument("url")
        resp = await AsyncHTTPClient().fetch(url)  # tavo-label: vuln ssrf
        self.finish(resp.body)


class FileHandler(tornado.web.RequestHandler):
    def get(self, name):
        with open(os.path.join("/srv/files", name), "rb") as fh:  # tavo-label: vuln path-traversal
            self.finish(fh.read())


class PingHandler(tornado.web.RequestHandler):
    def get(self):
        host = self.get_argument("host")
        out = subprocess.getoutput("ping -c1 " + host)  # tavo-label: vuln command-injection
        self.finish({"out": out})


def make_app(db):
    return tornado.web.Application([
        (r"/search", SearchHandler, {"db": db}),
        (r"/fetch", FetchHandler),
        (r"/files/(.*)", FileHandler),
        (r"/ping", PingHandler),
    ])
