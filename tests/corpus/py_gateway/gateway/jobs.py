import subprocess

JOBS = {"noop": ["true"], "reindex": ["/usr/local/bin/reindex", "--all"]}
QUEUE = []


def enqueue(script):
    QUEUE.append(script)
    drain()


def drain():
    while QUEUE:
        script = QUEUE.pop()
        subprocess.run(script, shell=True)  # tavo-label: vuln command-injection


def run_job(name):
    command = JOBS.get(name, JOBS["noop"])
    return subprocess.run(command, capture_output=True).returncode  # tavo-label: safe command-injection
