import os
import shlex
import sqlite3

TABLE = "notes"


def _connect():
    return sqlite3.connect("notes.db")


def find_note(owner):
    query = "SELECT * FROM %s WHERE owner = '%s'" % (TABLE, owner)
    return _connect().execute(query).fetchall()  # tavo-label: vuln sql-injection


def count_notes():
    query = "SELECT count(*) FROM " + TABLE
    return _connect().execute(query).fetchone()  # tavo-label: safe sql-injection


def run_report(name):
    os.system("report --name " + shlex.quote(name))  # tavo-label: safe command-injection
    return os.popen("report --name " + name).read()  # tavo-label: vuln command-injection
