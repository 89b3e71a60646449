import sqlite3

DB_PATH = "shop.db"
PRODUCT_COLUMNS = "id, name, price"


def _db():
    return sqlite3.connect(DB_PATH)


def search(term, sort):
    query = f"SELECT {PRODUCT_COLUMNS} FROM products WHERE name LIKE ? ORDER BY {sort}"
    return _db().execute(query, (f"%{term}%",)).fetchall()  # tavo-label: safe sql-injection


def by_id(product_id):
    return _db().execute(f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id = {product_id}").fetchone()  # tavo-label: safe sql-injection


def in_category(name):
    sql = "SELECT %s FROM products WHERE category = '%s'" % (PRODUCT_COLUMNS, name)
    return _run(sql)


def _run(sql):
    cursor = _db().cursor()
    cursor.execute(sql)  # tavo-label: vuln sql-injection
    return cursor.fetchall()


def count_products():
    return _db().execute("SELECT count(*) FROM products").fetchone()[0]  # tavo-label: safe sql-injection


def top_sellers(limit):
    return _db().execute("SELECT name FROM products ORDER BY sold DESC LIMIT ?", (int(limit),)).fetchall()  # tavo-label: safe sql-injection


def orders_where(clause):
    return _db().execute("SELECT * FROM orders WHERE " + clause).fetchall()  # tavo-label: vuln sql-injection


def orders_for(customer):
    return _db().execute("SELECT * FROM orders WHERE customer = ?", [customer]).fetchall()  # tavo-label: safe sql-injection
