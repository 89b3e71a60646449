from flask import Flask, request, jsonify

from .svc import Exporter, Repo, copy_report, fetch_api, fetch_legacy, save_upload, save_upload_raw

app = Flask(__name__)
repo = Repo()


@app.post("/export")
def export():
    payload = request.get_json()
    Exporter(payload["fmt"], payload["dest"]).run()
    return "ok"


@app.get("/find")
def find():
    return jsonify(repo.find(**request.args.to_dict()))


@app.get("/find2")
def find2():
    return jsonify(repo.find_named(request.args["name"]) + repo.find_safe(request.args["name"]))


@app.post("/upload")
def upload():
    f = request.files["file"]
    save_upload(f)
    save_upload_raw(f)
    return "ok"


@app.get("/copy")
def copy():
    copy_report(request.args["name"])
    return "ok"


@app.get("/legacy")
def legacy():
    return fetch_legacy(request.args["u"])


@app.get("/api")
def api():
    return jsonify(fetch_api(request.args["p"]))
