import subprocess

import yaml
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import Post
from .search import full_text, tag_filter

REPORT_SQL = "SELECT author, count(*) FROM blog_post GROUP BY author"


def post_list(request):
    author = request.GET.get("author", "")
    posts = Post.objects.raw("SELECT * FROM blog_post WHERE author = '%s'" % author)  # tavo-label: vuln sql-injection
    return JsonResponse({"posts": [p.id for p in posts]})


def post_list_safe(request):
    author = request.GET.get("author", "")
    posts = Post.objects.raw("SELECT * FROM blog_post WHERE author = %s", [author])  # tavo-label: safe sql-injection
    return JsonResponse({"posts": [p.id for p in posts]})


def report(request):
    with connection.cursor() as cursor:
        cursor.execute(REPORT_SQL)  # tavo-label: safe sql-injection
        return JsonResponse({"rows": cursor.fetchall()})


def ordered(request):
    order = request.GET.get("order", "created")
    posts = Post.objects.extra(order_by=[order])  # tavo-label: vuln sql-injection
    return JsonResponse({"posts": [p.id for p in posts]})


def search(request):
    return JsonResponse({"ids": full_text(request.GET["q"])})


def tagged(request):
    return JsonResponse({"ids": tag_filter(request.GET.getlist("tag"))})


def preview(request):
    body = request.POST.get("body", "")
    return HttpResponse("<article>" + body + "</article>")  # tavo-label: vuln xss


def preview_escaped(request):
    body = escape(request.POST.get("body", ""))
    return HttpResponse("<article>" + body + "</article>")  # tavo-label: safe xss


def signature(request):
    sig = request.POST["signature"]
    return JsonResponse({"html": mark_safe(sig)})  # tavo-label: vuln xss


def go(request):
    return HttpResponseRedirect(request.GET["to"])  # tavo-label: vuln open-redirect


def import_settings(request):
    settings = yaml.load(request.body, Loader=yaml.Loader)  # tavo-label: vuln deserialization
    return JsonResponse(settings)


def import_settings_safe(request):
    settings = yaml.safe_load(request.body)  # tavo-label: safe deserialization
    return JsonResponse(settings)


def convert(request):
    fmt = request.GET.get("format", "pdf")
    subprocess.run("pandoc post.md -o post." + fmt, shell=True)  # tavo-label: vuln command-injection
    return HttpResponse("ok")
