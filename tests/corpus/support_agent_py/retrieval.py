"""Knowledge-base retrieval shared by every tenant's support agent."""

from langchain_community.vectorstores import Chroma

store = Chroma(collection_name="kb", persist_directory="/srv/kb")


def tenant_articles(question: str, tenant_id: str) -> list:
    return store.similarity_search(question, k=4, filter={"tenant_id": tenant_id})  # tavo-label: safe vector-tenant-isolation


def suggested_articles(question: str) -> list:
    return store.similarity_search(question, k=4)  # tavo-label: vuln vector-tenant-isolation
