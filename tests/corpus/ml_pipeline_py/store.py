"""Where serialized chains and user profiles live."""

from pathlib import Path


class ChainStore:
    def __init__(self, root):
        self.root = Path(root)

    def read(self, name):
        return (self.root / f"{name}.json").read_text()

    def write(self, name, text):
        (self.root / f"{name}.json").write_text(text)

    def build(self, name):
        raise NotImplementedError(name)


class Profile:
    display_name = ""
    language = "en"
    timezone = "UTC"

    @classmethod
    def get(cls, user_id):
        return cls()

    def save(self):
        return None
