"""The pickle VM: what a pickle would import when loaded, without loading it.

Pickle is a small stack machine; the only way it reaches code is by importing a callable
(GLOBAL, INST, STACK_GLOBAL, EXT*) and then calling it (REDUCE, INST, OBJ, NEWOBJ, BUILD).
`PickleMachine` runs the opcodes symbolically (stdlib `pickletools` documents each one):
it keeps the stack, the marks and the memo as a real unpickler would, but every value is
inert data, so the module and attribute strings an import pops are known even when they
come from the memo or were pushed long before. Nothing is ever imported, called or
unpickled. Raw pickles of protocols 0 to 5 are read this way, as are the pickles inside
every container (PyTorch, joblib, NumPy), and pickles handed to `pickle.loads` inside a
pickle.
"""

from __future__ import annotations

import _compat_pickle
import fnmatch

from tavo_platform.artifacts._inspection import (
    DEFAULT_LIMITS,
    UNRESOLVED,
    ArtifactInspection,
    PickleImport,
    Session,
)
from tavo_platform.artifacts._pickle_opcodes import OPCODES
from tavo_platform.artifacts._pickle_values import (
    IDENTIFIER_PATH,
    MAX_TEXT_VALUE,
    PADDING,
    UNKNOWN,
    Global,
    Object,
    Opaque,
    OutOfOpcodes,
    Truncated,
    Unsupported,
    is_int,
)
from tavo_platform.artifacts.joblib_files import skip_wrapped_array
from tavo_platform.artifacts.pytorch import TORCH_LEGACY_MAGIC, TORCH_LEGACY_PICKLES

# Files whose name says "pickle": inspected as one even without a recognised header.
PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".pt", ".pth", ".joblib", ".ckpt"})
MAX_NESTED_CANDIDATES = 64
OPCODE_BATCH = 4096

# Imports that hand bytes to another deserialiser: their byte-string arguments may be
# pickles themselves, and are inspected as such.
NESTED_LOADERS = (
    "pickle.*", "_pickle.*", "dill.*", "cloudpickle.*", "joblib.load", "joblib.*.load",
    "torch.load", "torch.serialization.load", "torch.storage._load_from_bytes",
    "numpy.load", "numpy.lib.npyio.load", "pandas.read_pickle", "shelve.*",
)


def inspect_pickles(data: bytes, where: str | None, session: Session, depth: int) -> str:
    """Inspects the pickles in `data` one after another: files may hold several (legacy
    PyTorch, repeated pickle.dump). Returns "pickle" or "torch-legacy"."""
    kind = "pickle"
    if not data:
        session.problem(where, "empty: no pickle to inspect")
        return kind
    view = memoryview(data)
    position = 0
    count = 0
    while position < len(data):
        if count:
            if kind == "torch-legacy" and count >= TORCH_LEGACY_PICKLES:
                break  # the rest is raw tensor data
            position = PADDING.match(data, position).end()  # type: ignore[union-attr]
            if position >= len(data):
                break
            if OPCODES[data[position]] is None:
                session.problem(
                    where, f"{len(data) - position} bytes after the last pickle (byte "
                    f"{position}) are not a pickle"
                )
                break
        machine = PickleMachine(data, view, position, where, session, depth)
        session.inspection.pickle_streams += 1
        finished = machine.run()
        position = machine.position
        count += 1
        if not finished:
            break
        if count == 1 and is_int(machine.result) and machine.result == TORCH_LEGACY_MAGIC:
            kind = "torch-legacy"
    return kind



class PickleMachine:
    """Runs one pickle stream symbolically, recording each import."""

    def __init__(
        self,
        data: bytes,
        view: memoryview,
        start: int,
        where: str | None,
        session: Session,
        depth: int,
    ) -> None:
        self.data = data
        self.view = view
        self.position = start
        self.where = where
        self.session = session
        self.depth = depth
        self.stack: list[object] = []
        self.metastack: list[list[object]] = []
        self.memo: dict[int, object] = {}
        self.result: object = None
        self.opcode_offset = start
        self.stack_underflowed = False
        self.nested_candidates: list[tuple[int, bytes | memoryview]] = []
        self.loads_nested = False

    # The unpickler's primitives, made total: a loader would fail where these fall back to
    # UNKNOWN, but inspecting on over-approximates, and a bug in this model must never be
    # a way to hide a later import.

    def pop(self) -> object:
        if self.stack:
            return self.stack.pop()
        self._underflow()
        return UNKNOWN

    def top(self) -> object:
        if self.stack:
            return self.stack[-1]
        self._underflow()
        self.stack.append(UNKNOWN)
        return UNKNOWN

    def pop_mark(self) -> list[object]:
        items = self.stack
        if self.metastack:
            self.stack = self.metastack.pop()
        else:
            self._underflow()
            self.stack = []
        return items

    def _underflow(self) -> None:
        if not self.stack_underflowed:
            self.stack_underflowed = True
            self.session.problem(
                self.where, f"stack underflow at byte {self.opcode_offset} (a loader fails here)"
            )

    def take(self, size: int) -> int:
        start = self.position
        end = start + size
        if size < 0 or end > len(self.data):
            raise Truncated(f"argument of {size} bytes runs past the end")
        self.position = end
        return start

    def line(self) -> bytes:
        end = self.data.find(b"\n", self.position)
        if end < 0:
            raise Truncated("missing end of line")
        text = self.data[self.position : end]
        self.position = end + 1
        return text

    def text(self, start: int, size: int, encoding: str) -> object:
        if size > MAX_TEXT_VALUE:
            return UNKNOWN
        try:
            return str(self.view[start : start + size], encoding, "surrogatepass")
        except UnicodeDecodeError:
            return UNKNOWN

    def binary(self, start: int, size: int) -> memoryview:
        value = self.view[start : start + size]
        self.maybe_nested(start, value)
        return value

    def maybe_nested(self, start: int, value: bytes | memoryview | str) -> None:
        """Remembers values that could be a whole pickle, in case this stream turns out to
        import a deserialiser."""
        if len(value) < 2 or len(self.nested_candidates) >= MAX_NESTED_CANDIDATES:
            return
        if isinstance(value, str):
            if value[-1] != "." or value[0] not in "\x80(]}c":
                return
            try:
                value = value.encode("latin-1")
            except UnicodeEncodeError:
                return
        if value[-1] == 0x2E and value[0] in b"\x80(]}c":
            self.nested_candidates.append((start, value))  # copied only if inspected

    # --- imports --------------------------------------------------------------------------

    def record_import(self, module: str, name: str, opcode: str) -> Global | Opaque:
        """Records an import; names a real import could never resolve (not dotted
        identifiers) are problems rather than imports."""
        if module != UNRESOLVED and name != UNRESOLVED:
            module, name = python3_names(module, name)
        for part in (module, name):
            # Names in angle brackets are the inspector's own (UNRESOLVED, extensions).
            if not part.startswith("<") and not IDENTIFIER_PATH.match(part):
                self.session.problem(
                    self.where, f"{opcode} at byte {self.opcode_offset} names "
                    f"{module!r}.{name!r}, which cannot be imported (a loader fails here)"
                )
                return UNKNOWN
        imported = PickleImport(module, name, self.opcode_offset, self.where, opcode)
        self.session.inspection.imports.append(imported)
        if any(fnmatch.fnmatchcase(imported.qualified, glob) for glob in NESTED_LOADERS):
            self.loads_nested = True
        return Global(module, name)

    # --- the loop -------------------------------------------------------------------------

    def run(self) -> bool:
        """Runs to STOP; False when the stream ended otherwise (recorded as a problem)."""
        data = self.data
        size = len(data)
        session = self.session
        handlers = OPCODES
        # The opcode budget is shared with nested streams (which run inside a handler), so
        # it is settled in batches rather than per opcode, which would cost a quarter of
        # the loop; a batch is the most the budget can be overrun by.
        batch = 0
        threshold = min(OPCODE_BATCH, session.opcodes_left + 1)
        try:
            while True:
                position = self.position
                if position >= size:
                    raise Truncated("ends before its STOP opcode")
                batch += 1
                if batch >= threshold:
                    session.opcodes_left -= batch
                    batch = 0
                    if session.opcodes_left < 0:
                        raise OutOfOpcodes
                    threshold = min(OPCODE_BATCH, session.opcodes_left + 1)
                self.opcode_offset = position
                handler = handlers[data[position]]
                self.position = position + 1
                if handler is None:
                    self.session.problem(
                        self.where, f"invalid opcode 0x{data[self.opcode_offset]:02x} at byte "
                        f"{self.opcode_offset} (not a pickle, or corrupt)"
                    )
                    return False
                if handler(self):
                    return True
        except Truncated as error:
            self.session.problem(
                self.where, f"truncated pickle at byte {self.opcode_offset}: {error}"
            )
            return False
        except OutOfOpcodes:
            self.session.incomplete(
                self.where, f"more than {self.session.limits.max_opcodes} opcodes; "
                f"inspected up to byte {self.opcode_offset}"
            )
            return False
        except Unsupported as error:
            self.session.incomplete(self.where, f"{error}; the rest of the stream was not "
                                    "inspected")
            return False
        finally:
            session.opcodes_left = max(0, session.opcodes_left - batch)
            self._inspect_nested()

    def _inspect_nested(self) -> None:
        if not self.loads_nested:
            return
        for start, payload in self.nested_candidates:
            label = f"{self.where or ''}#pickle@{start}"
            if self.depth + 1 > self.session.limits.max_depth:
                self.session.incomplete(label, "nested pickle too deep; not inspected")
                return
            inspect_pickles(bytes(payload), label, self.session, self.depth + 1)

    def after_build(self, instance: object) -> None:
        """joblib writes an array's bytes straight after its wrapper's BUILD opcode (and its
        loader reads them from there), so they are stepped over here."""
        if isinstance(instance, Object):
            skip_wrapped_array(self, instance)


def pickle_start(head: bytes) -> bool:
    """Whether a headerless file's first bytes read as a pickle: one that imports
    something, finishes, or does not break before the bytes run out."""
    session = Session(ArtifactInspection(), DEFAULT_LIMITS, _no_dispatch)
    machine = PickleMachine(head, memoryview(head), 0, None, session, 0)
    if machine.run() or session.inspection.imports:
        return True
    return any("truncated" in problem for problem in session.inspection.problems)


def _no_dispatch(
    data: bytes, where: str | None, suffix: str, session: Session, depth: int
) -> str:
    return "raw"  # a pickle's head alone contains no containers


def python3_names(module: str, name: str) -> tuple[str, str]:
    """Python 2 names, as the unpickler maps them (for protocols below 3; applied always
    here, which only ever reports the more dangerous reading)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name
