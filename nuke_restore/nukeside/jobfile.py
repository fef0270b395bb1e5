"""Job config files inside Nuke: YAML when PyYAML is importable, else JSON.

Nuke's Python does not ship PyYAML. YAML is a superset of JSON, so a JSON job file is also a valid
YAML job file for the command line (``nuke-restore build job.json`` reads it like ``job.yaml``).
Reading a YAML file that is not plain JSON needs PyYAML; the error says so and how to convert it.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
from typing import Any, Dict, Optional

from ..errors import ConfigError
from ..fileio import write_atomic

logger = logging.getLogger(__name__)


def _yaml() -> Optional[Any]:
    try:
        return importlib.import_module("yaml")
    except ImportError:
        return None


def yaml_available() -> bool:
    return _yaml() is not None


def load_job_file(path: str) -> Dict[str, Any]:
    """The job-config dict in ``path`` (.yaml/.yml/.json)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise ConfigError(f"cannot read job config: {exc.strerror or exc}", path=path) from exc
    yaml = _yaml()
    if yaml is not None:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=path,
                              line=mark.line + 1 if mark else None,
                              column=mark.column + 1 if mark else None) from exc
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(
                "this Nuke has no PyYAML, so job configs must be JSON here (YAML is a superset of "
                "JSON: save the job as .json, or install PyYAML into Nuke's Python)",
                path=path, line=getattr(exc, "lineno", None), column=getattr(exc, "colno", None),
            ) from exc
    if not isinstance(data, dict):
        raise ConfigError("a job config must be a mapping at the top level", path=path)
    return data


def save_job_file(path: str, data: Dict[str, Any]) -> str:
    """Write ``data`` to ``path``; returns the path written.

    YAML when PyYAML is importable and the name ends in .yaml/.yml; otherwise JSON (a .yaml name
    then becomes .json, so the file's content and suffix agree).
    """
    stem, suffix = os.path.splitext(path)
    yaml = _yaml()
    if suffix.lower() in (".yaml", ".yml") and yaml is not None:
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None)
    else:
        if suffix.lower() != ".json":
            path = stem + ".json"
            logger.info("PyYAML is not available here: saving the job config as JSON (%s)", path)
        text = json.dumps(data, indent=2) + "\n"
    write_atomic(path, text)
    return path
