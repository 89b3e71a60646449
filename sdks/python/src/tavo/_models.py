"""The base of every response model: typed attributes, and read access like the JSON it came
from (`scan.status` and `scan["status"]` alike), so code written against plain dicts works:
`model[key]`, `model.get(key)`, `key in model`, `for key in model`, `dict(model)`.

(Not a full Mapping: list responses have a field named `items`, which a Mapping's `items()`
method would clash with; `to_dict()` gives the JSON form.)

Fields the server sends that a model does not declare (a newer server) are kept and are
readable by key.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Iterator, KeysView, Mapping
from typing import Any, ClassVar, Self

__all__ = ["Model"]

# The extra fields of a model that has none: one dict shared by all (never written to; a
# model's extra fields are only read, and `extra` hands out copies).
_NO_EXTRA: dict[str, Any] = {}

Converter = Callable[[Any], Any]
FieldPlan = tuple[tuple[str, Converter | None], ...]


class Model:
    """Subclasses are frozen dataclasses: `@dataclass(frozen=True, slots=True, kw_only=True)`."""

    __slots__ = ("_extra",)
    _plan: ClassVar[FieldPlan | None] = None
    _build: ClassVar[Callable[[Mapping[str, Any]], Any] | None] = None
    _names: ClassVar[frozenset[str]] = frozenset()
    _extra: dict[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_extra", _NO_EXTRA)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The model for a JSON object; unknown keys are kept, nested models are built."""
        build = cls.__dict__.get("_build")
        if build is None:
            build = cls._compile()
        result: Self = build(data)
        return result

    @classmethod
    def _from_json_generic(cls, data: Mapping[str, Any]) -> Self:
        """`from_json` through the dataclass's own `__init__` (its checks and its errors)."""
        if type(data) is not dict and not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__} expects a JSON object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for name, convert in cls.__dict__.get("_plan") or cls._field_plan():
            if name in data:
                value = data[name]
                if convert is not None and value is not None:
                    value = convert(value)
                values[name] = value
        instance = cls(**values)
        if len(values) != len(data):
            names = cls._names
            extra = {key: value for key, value in data.items() if key not in names}
            object.__setattr__(instance, "_extra", extra)
        return instance

    @classmethod
    def _compile(cls) -> Callable[[Mapping[str, Any]], Any]:
        """This class's `from_json`, written out field by field once: the same result as
        `_from_json_generic` (which it falls back to when a required field is missing, for
        the dataclass's own error) without a dict of arguments and a keyword call per
        model, which dominate decoding large pages."""
        build = _compile_builder(cls) or cls._from_json_generic
        cls._build = build
        return build

    @classmethod
    def _field_plan(cls) -> FieldPlan:
        plan = cls.__dict__.get("_plan")
        if plan is None:
            hints = typing.get_type_hints(cls)
            plan = tuple(
                (field.name, _converter(hints[field.name]))
                for field in dataclasses.fields(cls)  # type: ignore[arg-type]
            )
            cls._plan = plan
            cls._names = frozenset(name for name, _ in plan)
        return plan

    # --- read access by key, as for the JSON object ------------------------------------------

    def __getitem__(self, key: str) -> Any:
        self._field_plan()
        if key in self._names:
            return getattr(self, key)
        return self._extra[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        self._field_plan()
        return key in self._names or key in self._extra

    def __iter__(self) -> Iterator[str]:
        return self._iter_keys()

    def __len__(self) -> int:
        return len(self._field_plan()) + len(self._extra)

    def keys(self) -> KeysView[str]:
        """The declared fields, then the extra ones."""
        return {name: None for name in self._iter_keys()}.keys()

    def _iter_keys(self) -> Iterator[str]:
        yield from (name for name, _ in self._field_plan())
        yield from self._extra

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the server sent that this model does not declare."""
        return dict(self._extra)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: declared and extra fields, nested models as dicts."""
        return {key: _plain(self[key]) for key in self._iter_keys()}


_MISSING: Any = object()


def _compile_builder(cls: type[Model]) -> Callable[[Mapping[str, Any]], Any] | None:
    """Straight-line code building `cls` from a JSON object, or None when `cls` is not a
    plain dataclass model (no generated `__init__`, or fields outside it)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.init:
        return None
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(not field.init for field in fields):
        return None
    plan = cls._field_plan()
    namespace: dict[str, Any] = {
        "cls": cls,
        "Mapping": Mapping,
        "MISSING": _MISSING,
        "new": object.__new__,
        "setattr": object.__setattr__,
        "generic": cls._from_json_generic,
        "names": cls._names,
        "NO_EXTRA": _NO_EXTRA,
    }
    lines = [
        "def build(data):",
        "    if type(data) is not dict and not isinstance(data, Mapping):",
        "        return generic(data)",
        "    get = data.get",
        "    self = new(cls)",
        "    found = 0",
    ]
    for index, (field, (name, convert)) in enumerate(zip(fields, plan, strict=True)):
        namespace[f"convert_{index}"] = convert
        lines.append(f"    value = get({name!r}, MISSING)")
        if field.default is not dataclasses.MISSING:
            namespace[f"default_{index}"] = field.default
            lines.append("    if value is MISSING:")
            lines.append(f"        value = default_{index}")
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"factory_{index}"] = field.default_factory
            lines.append("    if value is MISSING:")
            lines.append(f"        value = factory_{index}()")
        else:
            lines.append("    if value is MISSING:")
            lines.append("        return generic(data)")
        lines.append("    else:")
        lines.append("        found += 1")
        if convert is not None:
            lines.append("        if value is not None:")
            lines.append(f"            value = convert_{index}(value)")
        lines.append(f"    setattr(self, {name!r}, value)")
    if cls.__post_init__ is not Model.__post_init__:
        lines.append("    self.__post_init__()")
    lines += [
        "    if found != len(data):",
        "        setattr(self, '_extra', {k: v for k, v in data.items() if k not in names})",
        "    else:",
        "        setattr(self, '_extra', NO_EXTRA)",
        "    return self",
    ]
    exec("\n".join(lines), namespace)  # the code is written from the model's own fields
    build: Callable[[Mapping[str, Any]], Any] = namespace["build"]
    return build


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _converter(hint: Any) -> Converter | None:
    """How to build a field's value from JSON, or None when the JSON value is used as is."""
    if isinstance(hint, type) and issubclass(hint, Model):
        return hint.from_json
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in args if arg is not type(None)]
        return _converter(options[0]) if len(options) == 1 else None
    if origin is list and args:
        item = _converter(args[0])
        if item is not None:
            return lambda values: [item(value) for value in values]
    if origin is dict and len(args) == 2:
        entry = _converter(args[1])
        if entry is not None:
            return lambda values: {key: entry(value) for key, value in values.items()}
    return None
