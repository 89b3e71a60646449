import psycopg
from psycopg import sql
from sqlalchemy import create_engine, text

DSN = "postgresql://inventory@db/inventory"
engine = create_engine(DSN)


def _conn():
    return psycopg.connect(DSN)


def items_by_supplier(supplier):
    with _conn() as conn:
        return conn.execute("SELECT * FROM items WHERE supplier = '" + supplier + "'").fetchall()  # tavo-label: vuln sql-injection


def item_by_sku(sku):
    with _conn() as conn:
        return conn.execute("SELECT * FROM items WHERE sku = %s", (sku,)).fetchone()  # tavo-label: safe sql-injection


def adjust_stock(sku, delta):
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE items SET stock = stock + {delta} WHERE sku = '{sku}'"))  # tavo-label: vuln sql-injection


def adjust_stock_safe(sku, delta):
    with engine.begin() as conn:
        conn.execute(text("UPDATE items SET stock = stock + :d WHERE sku = :s"), {"d": delta, "s": sku})  # tavo-label: safe sql-injection


def raw_report(column):
    query = sql.SQL("SELECT {} FROM items").format(sql.Identifier(column))
    with _conn() as conn:
        return conn.execute(query).fetchall()  # tavo-label: safe sql-injection


def search_notes(term):
    with _conn() as conn:
        return conn.execute(sql.SQL("SELECT * FROM notes WHERE body LIKE '%" + term + "%'")).fetchall()  # tavo-label: vuln sql-injection
