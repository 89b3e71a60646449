"""A customer-support agent: tools over the orders database, a Streamlit front end."""

import os
import sqlite3

import streamlit as st
from langchain.agents import AgentExecutor, Tool, create_tool_calling_agent
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from desk.auth import current_user, require_permission

DB = os.environ["DESK_DB"]

llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)  # tavo-label: vuln unbounded-consumption
bounded_llm = ChatOpenAI(model="gpt-4o-mini", max_tokens=600)  # tavo-label: safe unbounded-consumption

SYSTEM = "You help Acme customers. Only administrators may cancel subscriptions."  # tavo-label: vuln excessive-agency


def db() -> sqlite3.Connection:
    return sqlite3.connect(DB)


def query_orders(sql: str) -> str:
    return str(db().execute(sql).fetchall())  # tavo-label: vuln insecure-output


@tool
def order_total(order_id: int) -> str:
    """Total of one order of the signed-in customer."""
    query = "SELECT total FROM orders WHERE id = ? AND customer = ?"
    row = db().execute(query, (order_id, current_user().id)).fetchone()  # tavo-label: safe insecure-output
    return str(row[0]) if row else "no such order"


@tool
def cancel_subscription(customer_id: str) -> str:  # tavo-label: vuln excessive-agency
    """Cancel a customer's subscription."""
    db().execute("DELETE FROM subscriptions WHERE customer = ?", (customer_id,))
    return "cancelled"


@tool
def close_ticket(ticket_id: str) -> str:  # tavo-label: safe excessive-agency
    """Close a support ticket."""
    require_permission(current_user(), "tickets:close")
    db().execute("DELETE FROM open_tickets WHERE id = ?", (ticket_id,))
    return "closed"


@tool
def shipping_status(tracking: str) -> str:
    """Shipping status of a parcel."""
    try:
        return carrier_lookup(tracking)
    except LookupError as error:
        return f"lookup failed: {error}"  # tavo-label: vuln sensitive-information-disclosure


@tool
def delivery_window(tracking: str) -> str:
    """Delivery window of a parcel."""
    try:
        return carrier_window(tracking)
    except LookupError:
        return "The carrier could not be reached."  # tavo-label: safe sensitive-information-disclosure


def carrier_lookup(tracking: str) -> str:
    return tracking


def carrier_window(tracking: str) -> str:
    return tracking


tools = [Tool(name="query_orders", func=query_orders, description="Run SQL on orders")]
tools += [order_total, cancel_subscription, close_ticket, shipping_status, delivery_window]
prompt = ChatPromptTemplate.from_messages([("system", SYSTEM), ("human", "{input}")])
agent = create_tool_calling_agent(bounded_llm, tools, prompt)
executor = AgentExecutor(agent=agent, tools=tools, verbose=True)  # tavo-label: vuln sensitive-information-disclosure
quiet_executor = AgentExecutor(agent=agent, tools=tools)  # tavo-label: safe sensitive-information-disclosure

question = st.chat_input("Ask about your order")
if question:
    answer = quiet_executor.invoke({"input": question})
    st.markdown(answer["output"])  # tavo-label: vuln insecure-output
    st.text(answer["output"])  # tavo-label: safe insecure-output
