"""Model serving for the ticket classifier: loads models and chains, takes feedback."""

import tarfile

import mlflow
import pandas as pd
from flask import Flask, abort, jsonify, request
from langchain_core.load import dumps, loads

from store import ChainStore, Profile

app = Flask(__name__)
CHAINS = ChainStore("/srv/chains")
EDITABLE = ("display_name", "language", "timezone")
SORTABLE = {"created", "priority"}


def classifier(version):
    return mlflow.sklearn.load_model(f"models:/ticket-classifier/{version}")  # tavo-label: vuln deserialization


def exported_classifier(version):
    return mlflow.onnx.load_model(f"models:/ticket-classifier-onnx/{version}")  # tavo-label: safe deserialization


@app.post("/chains/preview")
def preview_chain():
    chain = loads(request.get_data(as_text=True))  # tavo-label: vuln deserialization
    return jsonify(chain.invoke({"question": request.args.get("q", "")}))


@app.post("/support/ask")
def ask_support():
    chain = loads(CHAINS.read("support"))  # tavo-label: safe deserialization
    return jsonify(chain.invoke({"question": request.json["question"]}))


def publish_support_chain():
    CHAINS.write("support", dumps(CHAINS.build("support")))


@app.patch("/profile/<int:user_id>")
def update_profile(user_id):
    profile = Profile.get(user_id)
    for field, value in request.json.items():
        setattr(profile, field, value)  # tavo-label: vuln mass-assignment
    profile.save()
    return jsonify({"ok": True})


@app.put("/profile/<int:user_id>")
def replace_profile(user_id):
    profile = Profile.get(user_id)
    for field in EDITABLE:
        setattr(profile, field, request.json.get(field))  # tavo-label: safe mass-assignment
    profile.save()
    return jsonify({"ok": True})


@app.get("/tickets")
def tickets():
    frame = pd.read_csv("/srv/data/tickets.csv")
    rows = frame.query(request.args["where"])  # tavo-label: vuln code-injection
    return rows.to_json()


@app.get("/tickets/sorted")
def sorted_tickets():
    frame = pd.read_csv("/srv/data/tickets.csv")
    column = request.args.get("by", "created")
    if column not in SORTABLE:
        abort(400)
    return frame.sort_values(column).to_json()  # tavo-label: safe code-injection


def unpack_release(archive_path, target):
    tarfile.open(archive_path).extractall(target)  # tavo-label: vuln path-traversal


def unpack_checked_release(archive_path, target):
    tarfile.open(archive_path).extractall(target, filter="data")  # tavo-label: safe path-traversal


RERANKERS = {"fast": "acme-research/rerank-small", "accurate": "acme-research/rerank-large"}


@app.post("/rerank/custom")
def custom_reranker():
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(request.json["model_id"])  # tavo-label: vuln supply-chain
    return jsonify(model.predict(request.json["pairs"]).tolist())


@app.post("/rerank")
def reranker():
    from sentence_transformers import CrossEncoder

    choice = request.json.get("speed", "fast")
    if choice not in RERANKERS:
        abort(400)
    model = CrossEncoder(RERANKERS[choice], revision="3f1c2a9d8b7e6f5a4c3b2a1908f7e6d5c4b3a291")  # tavo-label: safe supply-chain
    return jsonify(model.predict(request.json["pairs"]).tolist())
