"""Fine-tuning pipeline: pulls a base model, loads checkpoints and features, packs results."""

import tarfile

import joblib
import keras
import numpy as np
import torch
import torch.distributed as dist
from datasets import load_dataset
from huggingface_hub import hf_hub_download
from transformers import AutoModelForCausalLM, AutoTokenizer

BASE = "acme-research/support-7b"
BASE_REVISION = "0d4c7a5b9e2f41c38a6d7e9b1f0c2a4d6e8b0c1f"

tokenizer = AutoTokenizer.from_pretrained(BASE, revision=BASE_REVISION)  # tavo-label: safe supply-chain
model = AutoModelForCausalLM.from_pretrained(BASE, revision="main")  # tavo-label: vuln supply-chain
helper = AutoModelForCausalLM.from_pretrained(BASE, revision=BASE_REVISION, trust_remote_code=True)  # tavo-label: vuln supply-chain
corpus = load_dataset("acme-research/tickets", revision=BASE_REVISION)  # tavo-label: safe supply-chain
weights_file = hf_hub_download(repo_id=BASE, filename="adapter.safetensors", revision=BASE_REVISION)  # tavo-label: safe supply-chain


def load_checkpoint(path: str):
    return torch.load(path)  # tavo-label: vuln deserialization


def load_weights(path: str):
    return torch.load(path, weights_only=True)  # tavo-label: safe deserialization


def load_features(path: str):
    return np.load(path, allow_pickle=True)  # tavo-label: vuln deserialization


def load_matrix(path: str):
    return np.load(path)  # tavo-label: safe deserialization


def load_classifier(path: str):
    return keras.models.load_model(path, safe_mode=False)  # tavo-label: vuln deserialization


def load_scaler(path: str):
    return joblib.load(path)  # tavo-label: vuln deserialization


def share_config(config: list) -> None:
    dist.broadcast_object_list(config, src=0)  # tavo-label: vuln deserialization


def unpack_release(archive_path: str, target: str) -> None:
    with tarfile.open(archive_path) as bundle:
        bundle.extractall(target)  # tavo-label: vuln path-traversal


def unpack_checked(archive_path: str, target: str) -> None:
    with tarfile.open(archive_path) as bundle:
        bundle.extractall(target, filter="data")  # tavo-label: safe path-traversal
