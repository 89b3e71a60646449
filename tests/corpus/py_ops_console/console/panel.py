from flask import Flask, abort, jsonify, request

from .commands import COMMANDS, REPORTS, Maintenance

app = Flask(__name__)


@app.post("/console/<name>")
def console(name):
    command = COMMANDS.get(name)
    if command is None:
        abort(404)
    return jsonify(output=command(request.form["target"]))


@app.get("/reports/<name>")
def report(name):
    return jsonify(text=REPORTS[name](request.args.get("label", "")))


@app.post("/maintenance/<task>")
def maintenance(task):
    runner = getattr(Maintenance(), "task_" + task, None)
    if runner is None:
        abort(404)
    runner(request.form["name"])
    return "", 204
