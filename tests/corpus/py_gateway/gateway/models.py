import json
import os
import subprocess

import cohere
import litellm
from google import genai
from llama_index.core import VectorStoreIndex
from mistralai import Mistral

gemini = genai.Client()
mistral = Mistral(api_key=os.environ["MISTRAL_API_KEY"])
co = cohere.ClientV2()
TOOLS_DIR = "/srv/tools"


def classify(text):
    reply = gemini.models.generate_content(model="gemini-2.0-flash", contents=f"Label this text: {text}")
    label = reply.text.strip()
    return subprocess.run(f"record-label {label}", shell=True, capture_output=True).stdout  # tavo-label: vuln insecure-output


def explain(code):
    reply = mistral.chat.complete(model="mistral-large-latest", messages=[{"role": "user", "content": code}])
    suggestion = reply.choices[0].message.content
    return eval(suggestion)  # tavo-label: vuln insecure-output


def rerank(query, docs):
    reply = co.chat(model="command-r", messages=[{"role": "user", "content": query}])
    order = json.loads(reply.message.content[0].text)
    return [docs[int(i)] for i in order]  # tavo-label: safe insecure-output


def answer(index: VectorStoreIndex, question):
    engine = index.as_query_engine()
    result = engine.query(question)
    with open(os.path.join(TOOLS_DIR, str(result)), "w") as handle:  # tavo-label: vuln insecure-output
        handle.write(question)


def tool_loop(goal):
    response = litellm.completion(model="gpt-4o", messages=[{"role": "user", "content": goal}], tools=[])
    for call in response.choices[0].message.tool_calls or []:
        arguments = json.loads(call.function.arguments)
        run_tool(call.function.name, arguments)
    return "done"


def run_tool(name, arguments):
    if name == "shell":
        return subprocess.check_output(arguments["cmd"], shell=True)  # tavo-label: vuln excessive-agency
    if name == "list":
        return os.listdir(os.path.join(TOOLS_DIR, os.path.basename(arguments["dir"])))  # tavo-label: safe excessive-agency
    return None
