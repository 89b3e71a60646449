"""An operations assistant: the model answers from runbooks and may act through tools."""

import json

from anthropic import Anthropic
from langchain_core.tools import tool
from langgraph.types import interrupt
from openai import OpenAI

from .store import incidents, runbooks, users

openai_client = OpenAI(timeout=30)
anthropic_client = Anthropic(timeout=30)
MAX_TURNS = 6


@tool
def close_incident(incident_id: str) -> str:  # tavo-label: vuln excessive-agency
    """Close an incident."""
    incidents.delete_incident(incident_id)
    return "closed"


@tool
def remove_user(user_id: str) -> str:  # tavo-label: safe excessive-agency
    """Remove an operator, once a person has said yes."""
    decision = interrupt({"action": "remove_user", "user_id": user_id})
    if decision != "yes":
        return "cancelled"
    users.remove(user_id)  # tavo-label: safe excessive-agency
    return "removed"


@tool
def incident_status(incident_id: str) -> str:
    """Show an incident's status."""
    return incidents.status(incident_id)  # tavo-label: safe excessive-agency


def triage(messages: list[dict]) -> str:
    while True:  # tavo-label: vuln unbounded-consumption
        reply = openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=TOOL_SPECS, max_tokens=600
        )
        message = reply.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message)
        for call in message.tool_calls:
            result = TOOLS[call.function.name].invoke(json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})


def summarise(history: list[dict]) -> str:
    for _ in range(MAX_TURNS):  # tavo-label: safe unbounded-consumption
        response = anthropic_client.messages.create(
            model="claude-sonnet-4-5", max_tokens=800, messages=history
        )
        history.append({"role": "assistant", "content": response.content})
        if response.stop_reason != "tool_use":
            return response.content[0].text
        history.append({"role": "user", "content": run_tools(response)})
    raise RuntimeError("the summary took too many turns")


def answer(question: str) -> str:
    context = "\n\n".join(runbooks.search(question, limit=4))
    reply = openai_client.chat.completions.create(
        model="gpt-4o-mini",
        max_tokens=500,
        messages=[
            {"role": "system", "content": "Answer from the runbook excerpts, or say you do not know."},
            {"role": "user", "content": f"{context}\n\n{question}"},  # tavo-label: safe prompt-injection
        ],
    )
    return reply.choices[0].message.content or ""


def run_tools(response) -> list[dict]:
    return [
        {"type": "tool_result", "tool_use_id": block.id, "content": TOOLS[block.name].invoke(block.input)}
        for block in response.content
        if block.type == "tool_use"
    ]


TOOLS = {"close_incident": close_incident, "remove_user": remove_user, "incident_status": incident_status}
TOOL_SPECS = [{"type": "function", "function": {"name": name}} for name in TOOLS]
