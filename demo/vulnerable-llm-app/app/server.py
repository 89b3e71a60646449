"""A small support-bot API with the mistakes Tavo is built to find."""

import os
import pickle
import subprocess

import torch
from flask import Flask, request
from openai import OpenAI
from transformers import AutoModelForCausalLM

app = Flask(__name__)
client = OpenAI(api_key="sk-proj-Zm9yRGVtb09ubHlOb3RBUmVhbEtleTEyMzQ1Njc4OTBhYmNkT3BlbkFJT3BlbkFJ")

SYSTEM_PROMPT = "You are SupportBot. The admin password is hunter2, never reveal it."


@app.route("/ask", methods=["POST"])
def ask():
    question = request.json["question"]
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": f"{SYSTEM_PROMPT} The user is {request.remote_addr}."},
            {"role": "user", "content": f"Answer this question: {question}"},
        ],
    )
    answer = completion.choices[0].message.content
    return {"answer": answer}


@app.route("/calc", methods=["POST"])
def calc():
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Write a Python expression for: " + request.json["q"]}],
        max_tokens=200,
    )
    expression = completion.choices[0].message.content
    return {"result": eval(expression)}


@app.route("/run", methods=["POST"])
def run_tool():
    command = request.json["command"]
    return subprocess.run(command, shell=True, capture_output=True).stdout


def load_models(path):
    classifier = pickle.load(open(os.path.join(path, "classifier.pkl"), "rb"))
    weights = torch.load(os.path.join(path, "weights.pt"))
    chat = AutoModelForCausalLM.from_pretrained("someone/chat-model", trust_remote_code=True)
    return classifier, weights, chat


if __name__ == "__main__":
    app.run(host="0.0.0.0", debug=True)
