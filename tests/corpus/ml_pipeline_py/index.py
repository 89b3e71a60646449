"""The retrieval index built from the fine-tuning corpus."""

from langchain_community.vectorstores import FAISS
from langchain_openai import OpenAIEmbeddings

embeddings = OpenAIEmbeddings()


def open_shared_index(path: str):
    return FAISS.load_local(path, embeddings, allow_dangerous_deserialization=True)  # tavo-label: vuln deserialization


def open_own_index(path: str):
    return FAISS.load_local(path, embeddings)  # tavo-label: safe deserialization
