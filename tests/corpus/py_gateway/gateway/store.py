import sqlite3

ALLOWED_TABLES = frozenset({"events", "users", "jobs"})


class Store:
    def __init__(self, path):
        self.conn = sqlite3.connect(path)

    def profile(self, user_id):
        query = "SELECT name, bio FROM users WHERE id = " + user_id
        return self._one(query)

    def _one(self, query):
        return self.conn.execute(query).fetchone()  # tavo-label: vuln sql-injection

    def profile_safe(self, user_id):
        return self.conn.execute("SELECT name, bio FROM users WHERE id = ?", (user_id,)).fetchone()  # tavo-label: safe sql-injection

    def dump_table(self, table):
        if table not in ALLOWED_TABLES:
            raise ValueError(f"unknown table {table}")
        return self.conn.execute(f"SELECT * FROM {table}").fetchall()  # tavo-label: safe sql-injection

    def save_label(self, text, label):
        self.conn.execute("INSERT INTO labels (text, label) VALUES (?, ?)", (text, label))  # tavo-label: safe sql-injection
