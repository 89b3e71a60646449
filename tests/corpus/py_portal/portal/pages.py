from django.http import HttpResponse
from django.utils.html import format_html, format_html_join

from .storage import open_attachment, open_attachment_lexical, open_export


def notice(request):
    text = request.GET.get("text", "")
    return HttpResponse(format_html("<p class='notice'>{}</p>", text))  # tavo-label: safe xss


def notice_styled(request):
    css = request.GET.get("css", "plain")
    return HttpResponse(format_html("<p class='" + css + "'>{}</p>", "Saved"))  # tavo-label: vuln xss


def tag_list(request):
    tags = request.GET.getlist("tag")
    return HttpResponse(format_html_join("\n", "<li>{}</li>", ((t,) for t in tags)))  # tavo-label: safe xss


def attachment(request):
    return HttpResponse(open_attachment(request.GET["name"]), content_type="application/octet-stream")


def attachment_old(request):
    return HttpResponse(open_attachment_lexical(request.GET["name"]), content_type="application/octet-stream")


def export_file(request):
    return HttpResponse(open_export(request.GET["name"]), content_type="application/zip")
