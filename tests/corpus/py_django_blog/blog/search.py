from django.db import connection

from .models import Post


def full_text(term):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM blog_post WHERE body LIKE '%%" + term + "%%'")  # tavo-label: vuln sql-injection
        return [row[0] for row in cursor.fetchall()]


def tag_filter(tags):
    placeholders = ", ".join(["%s"] * len(tags))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT post_id FROM blog_tag WHERE name IN ({placeholders})", tags)  # tavo-label: safe sql-injection
        return [row[0] for row in cursor.fetchall()]


def by_title(title):
    return list(Post.objects.filter(title=title).values_list("id", flat=True))
