import os

from fastapi import FastAPI
from openai import OpenAI
from pydantic import BaseModel

from .agent import run_agent
from .prompts import build_system_prompt, support_prompt
from .render import render_answer

app = FastAPI()
client = OpenAI()
BOT_RULES = "You are the support assistant of Acme. Only answer questions about Acme products."


class Question(BaseModel):
    text: str
    persona: str = "friendly"


@app.post("/ask")
async def ask(question: Question):
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": BOT_RULES},  # tavo-label: safe prompt-injection
            {"role": "user", "content": question.text},  # tavo-label: safe prompt-injection
        ],
    )
    return {"answer": completion.choices[0].message.content}


@app.post("/ask-as")
async def ask_as(question: Question):
    system = f"{BOT_RULES} Speak like a {question.persona} assistant."
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": system},  # tavo-label: vuln prompt-injection
            {"role": "user", "content": question.text},
        ],
    )
    return {"answer": completion.choices[0].message.content}


@app.get("/brief")
async def brief(topic: str):
    messages = build_system_prompt(topic)
    reply = client.chat.completions.create(model="gpt-4o", messages=messages)
    return {"html": render_answer(reply.choices[0].message.content)}


@app.get("/support/{ticket_id}")
async def support(ticket_id: int, note: str = ""):
    reply = client.responses.create(
        model="gpt-4o",
        instructions=support_prompt(ticket_id),  # tavo-label: safe prompt-injection
        input=note,
    )
    return {"answer": reply.output_text}


@app.post("/agent")
async def agent(question: Question):
    return {"result": run_agent(question.text)}


@app.get("/debug-prompt")
async def debug_prompt():
    key = os.environ["BILLING_API_KEY"]
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": f"Billing key: {key}. Use it for refunds."}],  # tavo-label: vuln secrets-in-prompt
    )
    return {"answer": reply.choices[0].message.content}


@app.get("/status")
async def status():
    model = os.environ.get("ASSISTANT_MODEL", "gpt-4o-mini")
    reply = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": f"Say hello from {model}."}],  # tavo-label: safe secrets-in-prompt
    )
    return {"answer": reply.choices[0].message.content}


@app.get("/debug/model")
async def debug_model():
    return {"model": "gpt-4o", "has_rules": bool(BOT_RULES)}  # tavo-label: safe system-prompt-leakage


SYSTEM_PROMPT = BOT_RULES + " Escalate refunds above 500 EUR to a human."


@app.get("/debug/system")
async def debug_system():
    return {"model": "gpt-4o", "system": SYSTEM_PROMPT}  # tavo-label: vuln system-prompt-leakage


@app.get("/debug/has-system")
async def debug_has_system():
    return {"configured": bool(SYSTEM_PROMPT)}  # tavo-label: safe system-prompt-leakage
