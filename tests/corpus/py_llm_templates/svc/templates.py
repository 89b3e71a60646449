from fastapi import FastAPI
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

api = FastAPI()
llm = ChatOpenAI(model="gpt-4o-mini", max_tokens=300)

SUPPORT = ChatPromptTemplate.from_messages([
    ("system", "You are the support assistant for {product}. "
               "Answer in the voice of {persona} and never offer refunds."),
    ("human", "{question}"),
])


class Ask(BaseModel):
    persona: str
    question: str


@api.post("/support")
def support(body: Ask):
    chain = SUPPORT | llm
    return chain.invoke({  # tavo-label: vuln prompt-injection
        "product": "Acme Cloud",
        "persona": body.persona,
        "question": body.question,
    }).content


@api.post("/support/plain")
def support_plain(body: Ask):
    chain = SUPPORT | llm
    return chain.invoke({"product": "Acme Cloud", "persona": "a friendly agent", "question": body.question}).content  # tavo-label: safe prompt-injection


@api.post("/support/messages")
def support_messages(body: Ask):
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are {persona}. Keep answers short."), ("human", "{question}")]
    )
    messages = prompt.format_messages(persona=body.persona, question=body.question)  # tavo-label: vuln prompt-injection
    return llm.invoke(messages).content


@api.post("/support/fixed")
def support_fixed(body: Ask):
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a helpful assistant."), ("human", "{question}")]
    )
    return (prompt | llm).invoke({"question": body.question}).content  # tavo-label: safe prompt-injection
