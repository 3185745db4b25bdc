"""Named registries: the generic `Registry` and the detector registry built on it.

One `Registry` class serves detectors, datasets, perturbations and metrics (after lm-eval's registry).
A name is bound either to an object (decorator) or to a lazy ``"module:attr"`` string resolved on first
use, so listing a registry never imports torch. Third-party detectors join through the
``veracity.detectors`` entry-point group, also lazily.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar

from veracity.detector.errors import DuplicateRegistrationError, RegistryLookupError

T = TypeVar("T")


def natural_key(text: str) -> list[Any]:
    """Sort key that orders ``net2`` before ``net10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def load_object(target: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute.

    Raises:
        RegistryLookupError: the string is malformed, or the module or attribute does not exist.
    """
    module_name, sep, attr_path = target.partition(":")
    if not sep or not module_name or not attr_path:
        raise RegistryLookupError(f"A lazy target must look like 'package.module:attribute'. Got {target!r} instead.")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise RegistryLookupError(f"Cannot import module {module_name!r} of target {target!r}: {exc}") from exc
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise RegistryLookupError(
                f"Module {module_name!r} has no attribute {attr_path!r} (target {target!r})."
            ) from exc
    return obj


class Registry(Generic[T]):
    """A name -> object map with lazy targets, did-you-mean errors and wildcard listing.

    Args:
        name: what the registry holds, for messages ("detector", "perturbation").
        base_cls: when given, a resolved class target must subclass it (functions are not checked).

    Example:
        >>> metrics = Registry("metric")
        >>> @metrics.register("auroc")
        ... def auroc(y, p): ...
        >>> metrics.list("auc*")
        []
    """

    def __init__(self, name: str, base_cls: type | None = None) -> None:
        self.name = name
        self.base_cls = base_cls
        self._targets: dict[str, Any] = {}  # name -> object, or "module:attr" not yet resolved
        self._loaders: list[Callable[[Registry[T]], None]] = []  # run once before the first lookup
        self._loaded = False

    def register(self, name: str, target: Any = None) -> Any:
        """Bind ``name`` to ``target`` (an object or a lazy ``"module:attr"``); without target, a decorator.

        Raises:
            DuplicateRegistrationError: ``name`` is already bound to a different target.
        """
        if target is None:

            def decorator(obj: T) -> T:
                self._bind(name, obj)
                return obj

            return decorator
        self._bind(name, target)
        return target

    def _bind(self, name: str, target: Any) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"A {self.name} name must be a non-empty string. Got {name!r} instead.")
        current = self._targets.get(name)
        if current is not None and not _same_target(current, target):
            raise DuplicateRegistrationError(
                f"The {self.name} name {name!r} is already bound to {_describe(current)}; "
                f"refusing to rebind it to {_describe(target)}. Pick another name."
            )
        self._targets[name] = target

    def add_loader(self, loader: Callable[[Registry[T]], None]) -> None:
        """Run ``loader(self)`` once before the first lookup or listing (e.g. entry points)."""
        self._loaders.append(loader)
        self._loaded = False

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for loader in self._loaders:
            loader(self)

    def get(self, name: str) -> T:
        """The object bound to ``name``, importing a lazy target on first use.

        Raises:
            RegistryLookupError: unknown name (with close matches and the available names).
        """
        self._ensure_loaded()
        if name not in self._targets:
            raise RegistryLookupError(self._unknown_message(name))
        target = self._targets[name]
        if isinstance(target, str):
            target = load_object(target)
            if self.base_cls is not None and isinstance(target, type) and not issubclass(target, self.base_cls):
                raise RegistryLookupError(
                    f"The {self.name} {name!r} resolved to {target!r}, which is not a {self.base_cls.__name__}."
                )
            self._targets[name] = target
        return target

    def _unknown_message(self, name: str) -> str:
        names = self.list()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        return f"Unknown {self.name} {name!r}.{hint} Available: {', '.join(names) or '(none)'}."

    def list(self, pattern: str | Iterable[str] | None = None) -> list[str]:
        """Registered names matching the fnmatch ``pattern`` (or any of several), naturally sorted."""
        self._ensure_loaded()
        names = list(self._targets)
        if pattern is not None:
            patterns = [pattern] if isinstance(pattern, str) else list(pattern)
            names = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        return sorted(names, key=natural_key)

    def __contains__(self, name: object) -> bool:
        self._ensure_loaded()
        return name in self._targets

    def __len__(self) -> int:
        return len(self.list())

    def _clear(self, *, loaders: bool = False) -> None:
        """Forget every name (and, with ``loaders=True``, every loader); tests only.

        Loaders that stay run again on the next lookup, so entry points are re-read.
        """
        self._targets.clear()
        if loaders:
            self._loaders.clear()
        self._loaded = False


def _same_target(current: Any, new: Any) -> bool:
    if current is new or current == new:
        return True
    # A lazy string and the object it names are the same binding.
    if isinstance(current, str) != isinstance(new, str):
        lazy, obj = (current, new) if isinstance(current, str) else (new, current)
        module, _, attr = lazy.partition(":")
        return getattr(obj, "__module__", None) == module and getattr(obj, "__qualname__", None) == attr
    return False


def _describe(target: Any) -> str:
    if isinstance(target, str):
        return repr(target)
    return f"{getattr(target, '__module__', '?')}:{getattr(target, '__qualname__', repr(target))}"


# --------------------------------------------------------------------------------------------------
# The detector registry
# --------------------------------------------------------------------------------------------------

ENTRY_POINT_GROUP = "veracity.detectors"

#: name -> factory ``(*, checkpoint=None, device="cpu", **overrides) -> Detector``.
detectors: Registry[Callable[..., Any]] = Registry("detector")
_default_cfgs: dict[str, Any] = {}  # name -> DetectorCfg, known without importing the factory


def register_detector(name: str, target: Any = None, *, cfg: Any = None) -> Any:
    """Register a detector factory under ``name`` (decorator, object or lazy ``"module:factory"``).

    Args:
        name: registry name, ``<arch>.<training_tag>``.
        target: the factory or a lazy string; omit to use as a decorator.
        cfg: the default `DetectorCfg`, shown by ``veracity detectors`` without importing the factory.

    Example:
        >>> @register_detector("spectral.durall2020")  # doctest: +SKIP
        ... def spectral(*, checkpoint=None, device="cpu", **overrides):
        ...     return SpectralDetector.load(checkpoint, **overrides)
    """
    if cfg is not None:
        _default_cfgs[name] = cfg
    return detectors.register(name, target)


def list_detectors(pattern: str | None = None) -> list[str]:
    """Registered detector names matching the fnmatch ``pattern``, naturally sorted."""
    return detectors.list(pattern)


def detector_cfg(name: str) -> Any:
    """The default `DetectorCfg` of ``name``, or ``None`` when the factory did not declare one."""
    if name in _default_cfgs:
        return _default_cfgs[name]
    return getattr(detectors.get(name), "default_cfg", None)  # unknown names raise the did-you-mean error


def create_detector(
    name_or_path: str,
    *,
    checkpoint: str | None = None,
    device: str = "cpu",
    **overrides: Any,
) -> Any:
    """Build a detector from a registry name, a ``"module:factory"`` string or a saved-detector path.

    Args:
        name_or_path: a registered name; ``"package.module:factory"``; or the path of a saved detector
            (a folder holding ``detector.json``, or a ``.json`` file), whose ``"name"`` picks the factory
            and whose path becomes the checkpoint.
        checkpoint: weights or fitted-parameter file; ``None`` uses the detector's default.
        device: torch device for neural detectors (``"cpu"``, ``"cuda"``); ignored by others.
        **overrides: `DetectorCfg` fields to override; ``None`` values are dropped (not set).

    Returns:
        An object with ``name``, ``cfg``, ``classes_``, ``predict_proba``, ``p_generated``, ``score_asset``.

    Raises:
        RegistryLookupError: unknown name (with did-you-mean) or a target that cannot be imported.
        CheckpointNotFoundError: ``checkpoint`` does not exist.
    """
    from pathlib import Path

    from veracity.detector.errors import CheckpointNotFoundError

    overrides = {k: v for k, v in overrides.items() if v is not None}
    if checkpoint is not None and not Path(checkpoint).exists():
        raise CheckpointNotFoundError(
            f"Checkpoint {str(checkpoint)!r} for detector {name_or_path!r} does not exist. Check the path."
        )
    if name_or_path in detectors:
        factory = detectors.get(name_or_path)
    elif _looks_like_path(name_or_path):
        name, checkpoint, data = _saved_detector(Path(name_or_path), checkpoint)
        factory = detectors.get(name) if name in detectors else _folder_factory(name, data, name_or_path)
    elif ":" in name_or_path:
        factory = load_object(name_or_path)
    else:
        factory = detectors.get(name_or_path)  # raises with did-you-mean
    return factory(checkpoint=checkpoint, device=device, **overrides)


def _looks_like_path(text: str) -> bool:
    from pathlib import Path

    return Path(text).exists() and (":" not in text or Path(text).is_absolute())


def _saved_detector(path: Any, checkpoint: str | None) -> tuple[str, str, dict[str, Any]]:
    import json

    cfg_file = path / "detector.json" if path.is_dir() else path
    if cfg_file.suffix != ".json" or not cfg_file.is_file():
        raise RegistryLookupError(
            f"{str(path)!r} is not a saved detector: expected a folder with detector.json or a .json file."
        )
    try:
        data = json.loads(cfg_file.read_text(encoding="utf-8"))
        name = data["name"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RegistryLookupError(f"Cannot read the detector name from {str(cfg_file)!r}: {exc}") from exc
    return name, checkpoint or str(path), data


#: The factory of a saved folder whose name is not registered, by the kind of weights it holds: a model
#: trained and packaged with `veracity train --package DIR --name ANY` loads by path whatever its name.
FOLDER_FACTORIES: dict[str, str] = {".onnx": "veracity.detector.models.forensic:create_default_detector"}


def _folder_factory(name: str, data: dict[str, Any], path: str) -> Any:
    suffix = Path(str(data.get("weights_file") or "")).suffix
    if suffix in FOLDER_FACTORIES:
        return load_object(FOLDER_FACTORIES[suffix])
    raise RegistryLookupError(
        f"{path!r} holds detector {name!r}, which is not registered and whose weights ({suffix or 'none'}) no "
        f"built-in loader reads. Install the plugin that provides {name!r}, or pass a folder written by "
        "`veracity train --package`."
    )


def _load_entry_points(registry: Registry[Any]) -> None:
    """Register third-party detectors from the ``veracity.detectors`` entry-point group, lazily."""
    import warnings
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            registry.register(ep.name, ep.value)
        except DuplicateRegistrationError as exc:
            # A plugin must not break listing nor shadow a built-in; say so and keep the built-in.
            warnings.warn(f"Ignoring entry point {ep.name!r} ({ep.value}): {exc}", stacklevel=2)


#: Built-in detectors as lazy targets, so listing them imports nothing heavy. One line per detector.
BUILTIN_DETECTORS: dict[str, str] = {
    "spectral.durall2020": "veracity.detector.models.baselines:create_spectral",
    "dct.frank2020": "veracity.detector.models.baselines:create_dct",
    "npr_mnv3s.v1": "veracity.detector.models.forensic:create_v1_detector",
    "rgb_mnv3s.v2": "veracity.detector.models.forensic:create_v2_detector",
    "probe_mnv2.v3": "veracity.detector.models.forensic:create_v3_detector",
}


def _load_builtins(registry: Registry[Any]) -> None:
    for name, target in BUILTIN_DETECTORS.items():
        registry.register(name, target)


detectors.add_loader(_load_builtins)
detectors.add_loader(_load_entry_points)
