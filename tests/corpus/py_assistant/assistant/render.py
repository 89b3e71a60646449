import html

from markupsafe import Markup


def render_answer(text):
    return Markup("<div class='answer'>" + text + "</div>")  # tavo-label: vuln insecure-output


def render_answer_safely(text):
    return Markup("<div class='answer'>{}</div>").format(html.escape(text))  # tavo-label: safe insecure-output
