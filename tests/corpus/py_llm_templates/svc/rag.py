import os
import subprocess

import anthropic
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Template
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_openai import ChatOpenAI
from llama_index.core import VectorStoreIndex, SimpleDirectoryReader
from llama_index.core.llms import ChatMessage
from llama_index.llms.openai import OpenAI as LlamaOpenAI
from pydantic import BaseModel

app = FastAPI()
llm = ChatOpenAI(model="gpt-4o-mini", max_tokens=300)
claude = anthropic.AsyncAnthropic()
STRIPE_KEY = os.environ["STRIPE_SECRET_KEY"]


class Query(BaseModel):
    question: str
    role: str = "customer"


@app.post("/rag")
async def rag(q: Query):
    index = VectorStoreIndex.from_documents(SimpleDirectoryReader("docs").load_data())
    engine = index.as_query_engine()
    answer = engine.query(q.question)
    return HTMLResponse(f"<div>{answer}</div>")  # tavo-label: vuln insecure-output


@app.post("/chain")
async def chain_route(q: Query):
    prompt = ChatPromptTemplate.from_messages([("system", "Answer briefly."), ("human", "{question}")])
    chain = prompt | llm | StrOutputParser()
    html = await chain.ainvoke({"question": q.question})  # tavo-label: safe prompt-injection
    return HTMLResponse(content=html)  # tavo-label: vuln insecure-output


@app.post("/role")
async def role_route(q: Query):
    system = PromptTemplate.from_template("You are assisting a {role}. Be concise.").format(role=q.role)
    msg = await claude.messages.create(
        model="claude-3-5-haiku-latest",
        max_tokens=300,
        system=system,  # tavo-label: vuln prompt-injection
        messages=[{"role": "user", "content": q.question}],
    )
    return {"answer": msg.content[0].text}


@app.post("/llama")
async def llama_route(q: Query):
    llm2 = LlamaOpenAI(model="gpt-4o-mini", max_tokens=200)
    resp = llm2.chat([
        ChatMessage(role="system", content=f"You help {q.role} users."),  # tavo-label: vuln prompt-injection
        ChatMessage(role="user", content=q.question),
    ])
    return {"answer": str(resp)}


@app.post("/tool-use")
async def tool_use(q: Query):
    msg = await claude.messages.create(
        model="claude-3-5-sonnet-latest",
        max_tokens=500,
        tools=[{"name": "run", "description": "run a command", "input_schema": {"type": "object", "properties": {"cmd": {"type": "string"}}}}],
        messages=[{"role": "user", "content": q.question}],
    )
    for block in msg.content:
        if block.type == "tool_use" and block.name == "run":
            subprocess.run(block.input["cmd"], shell=True)  # tavo-label: vuln excessive-agency
    return {"ok": True}


@app.post("/template")
async def template_route(q: Query):
    reply = await llm.ainvoke(q.question)
    page = Template("<p>" + reply.content + "</p>").render()  # tavo-label: vuln insecure-output
    return {"page": page}


@app.post("/json")
async def json_route(q: Query):
    reply = await llm.ainvoke([("system", "Reply with the one file path the question is about."), ("human", q.question)])
    path = reply.content.strip()
    with open(path) as fh:  # tavo-label: vuln insecure-output
        return {"content": fh.read()}


@app.post("/billing")
async def billing(q: Query):
    system = f"You answer billing questions. Our Stripe key is {STRIPE_KEY}."
    reply = await llm.ainvoke([("system", system), ("human", q.question)])  # tavo-label: vuln secrets-in-prompt
    return {"answer": reply.content}


@app.post("/raw")
async def raw_route(request: Request):
    body = await request.json()
    reply = await llm.ainvoke([("system", "Persona: " + body["persona"]), ("human", body["q"])])  # tavo-label: vuln prompt-injection
    return {"answer": reply.content}
