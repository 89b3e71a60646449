import csv
import io
import pickle

import requests
import yaml

FEEDS = {"acme": "https://feeds.acme.example/stock.csv", "globex": "https://globex.example/stock.csv"}


def fetch_feed(url):
    return requests.get(url, timeout=10).text  # tavo-label: vuln ssrf


def fetch_known_feed(name):
    url = FEEDS.get(name)
    if url is None:
        raise KeyError(name)
    return requests.get(url, timeout=10).text  # tavo-label: safe ssrf


def parse_rows(body):
    return list(csv.DictReader(io.StringIO(body)))


def load_mapping(document):
    return yaml.load(document, Loader=yaml.FullLoader)  # tavo-label: vuln deserialization


def load_mapping_safe(document):
    return yaml.load(document, Loader=yaml.SafeLoader)  # tavo-label: safe deserialization


def load_snapshot(blob):
    return pickle.loads(blob)  # tavo-label: vuln deserialization


def clone(rows):
    return pickle.loads(pickle.dumps(rows))  # tavo-label: safe deserialization
