"""A small recording fake of the ``nuke`` module: only the calls nuke_restore makes.

Typed stand-ins (no MagicMock): nodes with knobs and positions, menus that record every
``addCommand`` (name, callable, shortcut, icon, tooltip), ``nodePaste`` that records the text it
was given and creates nodes from it, ``Undo`` that records begin/name/end/cancel, ``message`` and
``ProgressTask`` that record what they show. A fixture builds a fresh one per test.
"""
from __future__ import annotations

import re
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple


class FakeKnob:
    def __init__(self, name: str, value: Any = None) -> None:
        self._name = name
        self._value = value

    def name(self) -> str:
        return self._name

    def value(self) -> Any:
        return self._value

    def getValue(self) -> Any:
        return self._value

    def setValue(self, value: Any) -> None:
        self._value = value


@dataclass
class FakeFormat:
    width_: int = 2048
    height_: int = 1556
    name_: str = "2K_Super_35(full-ap)"

    def width(self) -> int:
        return self.width_

    def height(self) -> int:
        return self.height_

    def name(self) -> str:
        return self.name_


class FakeNode:
    def __init__(self, fake: FakeNuke, cls: str, name: str, knobs: Optional[Dict[str, Any]] = None,
                 xpos: int = 0, ypos: int = 0, fmt: Optional[FakeFormat] = None) -> None:
        self._fake = fake
        self._cls = cls
        self._name = name
        self._knobs = {k: FakeKnob(k, v) for k, v in (knobs or {}).items()}
        self._x, self._y = xpos, ypos
        self._selected = False
        self._inputs: Dict[int, FakeNode] = {}
        self._format = fmt or FakeFormat()

    def Class(self) -> str:
        return self._cls

    def name(self) -> str:
        return self._name

    def knob(self, name: str) -> Optional[FakeKnob]:
        return self._knobs.get(name)

    def __getitem__(self, name: str) -> FakeKnob:
        return self._knobs[name]

    def format(self) -> FakeFormat:
        return self._format

    def xpos(self) -> int:
        return self._x

    def ypos(self) -> int:
        return self._y

    def setXYpos(self, x: int, y: int) -> None:
        self._x, self._y = int(x), int(y)

    def isSelected(self) -> bool:
        return self._selected

    def setSelected(self, value: bool) -> None:
        self._selected = bool(value)
        self._fake.calls.append(("setSelected", self._name, bool(value)))

    def setInput(self, index: int, node: Optional[FakeNode]) -> bool:
        if node is None:
            self._inputs.pop(index, None)
        else:
            self._inputs[index] = node
        return True

    def input(self, index: int) -> Optional[FakeNode]:
        return self._inputs.get(index)

    def __repr__(self) -> str:
        return f"<FakeNode {self._cls} {self._name}>"


@dataclass
class MenuCommand:
    menu: str
    name: str
    command: Optional[Callable[[], Any]]
    shortcut: str
    icon: str
    tooltip: str


class FakeMenu:
    def __init__(self, fake: FakeNuke, path: str) -> None:
        self._fake = fake
        self.path = path
        self.submenus: Dict[str, FakeMenu] = {}
        self.icon = ""
        self.separators = 0

    def addMenu(self, name: str, icon: str = "", tooltip: str = "", index: int = -1,
                tag: int = 0) -> FakeMenu:
        menu = self.submenus.get(name)
        if menu is None:
            menu = self.submenus[name] = FakeMenu(self._fake, f"{self.path}/{name}")
        menu.icon = icon or menu.icon
        return menu

    def addCommand(self, name: str, command: Any = None, shortcut: str = "", icon: str = "",
                   tooltip: str = "", index: int = -1, readonly: bool = False,
                   **kwargs: Any) -> MenuCommand:
        item = MenuCommand(self.path, name, command, shortcut, icon, tooltip)
        self._fake.commands.append(item)
        return item

    def addSeparator(self, **kwargs: Any) -> None:
        self.separators += 1


class FakeUndo:
    """Records into the owning fake's ``undo_log``; usable as an instance or a context manager."""

    fake: FakeNuke

    def begin(self, name: Optional[str] = None) -> None:
        self.fake.undo_log.append(("begin", name))

    def name(self, name: str) -> None:
        self.fake.undo_log.append(("name", name))

    def end(self) -> None:
        self.fake.undo_log.append(("end", None))

    def cancel(self) -> None:
        self.fake.undo_log.append(("cancel", None))

    def __enter__(self) -> FakeUndo:
        self.begin()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.end()


class FakeProgressTask:
    def __init__(self, fake: FakeNuke, title: str) -> None:
        self.fake = fake
        self.title = title
        self.messages: List[str] = []
        self.values: List[int] = []
        fake.progress_tasks.append(self)

    def setMessage(self, message: str) -> None:
        self.messages.append(message)

    def setProgress(self, value: int) -> None:
        self.values.append(value)

    def isCancelled(self) -> bool:
        return False


@dataclass
class FakeRoot:
    path: str = ""
    is_modified: bool = False
    project_dir: str = ""

    def name(self) -> str:
        return self.path or "Root"

    def knob(self, name: str) -> Optional[FakeKnob]:
        return FakeKnob(name, self.project_dir) if name == "project_directory" else None

    def modified(self) -> bool:
        return self.is_modified


_NODE_WORD = re.compile(r"^(?:clone \$\S+|[A-Za-z_][\w.]*) \{")
_XPOS = re.compile(r"^\s*xpos (-?\d+)$", re.M)
_YPOS = re.compile(r"^\s*ypos (-?\d+)$", re.M)
_NAME = re.compile(r"^\s*name (\S+)$", re.M)


@dataclass
class FakeNuke(types.ModuleType):
    """The fake module. Attributes other than the nuke API are the recordings tests assert on."""

    gui: bool = True
    plugin_paths: List[str] = field(default_factory=list)
    commands: List[MenuCommand] = field(default_factory=list)
    menus: Dict[str, FakeMenu] = field(default_factory=dict)
    nodes: List[FakeNode] = field(default_factory=list)
    pasted_texts: List[str] = field(default_factory=list)
    created: List[FakeNode] = field(default_factory=list)
    undo_log: List[Tuple[str, Optional[str]]] = field(default_factory=list)
    messages: List[str] = field(default_factory=list)
    progress_tasks: List[FakeProgressTask] = field(default_factory=list)
    calls: List[Tuple[Any, ...]] = field(default_factory=list)
    root_node: FakeRoot = field(default_factory=FakeRoot)
    filename_answers: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        types.ModuleType.__init__(self, "nuke")
        fake = self
        self.Undo = type("Undo", (FakeUndo,), {"fake": fake})
        self.NUKE_VERSION_STRING = "15.1v3"

    # -- session ---------------------------------------------------------------------------------
    @property
    def GUI(self) -> bool:  # noqa: N802 (Nuke's name)
        return self.gui

    @property
    def env(self) -> Dict[str, Any]:
        return {"gui": self.gui, "NukeVersionString": self.NUKE_VERSION_STRING}

    def pluginAddPath(self, path: str, addToSysPath: bool = True) -> None:  # noqa: N802, N803
        self.plugin_paths.insert(0, path)

    def pluginPath(self) -> List[str]:  # noqa: N802
        return list(self.plugin_paths)

    def menu(self, name: str) -> FakeMenu:
        if not self.gui:
            raise RuntimeError("Nuke isn't in GUI mode")
        if name not in self.menus:
            self.menus[name] = FakeMenu(self, name)
        return self.menus[name]

    def message(self, text: str) -> None:
        self.messages.append(text)

    def ProgressTask(self, title: str) -> FakeProgressTask:  # noqa: N802
        return FakeProgressTask(self, title)

    def root(self) -> FakeRoot:
        return self.root_node

    def getFilename(self, title: str, pattern: str = "*", default: str = "") -> Optional[str]:  # noqa: N802
        self.calls.append(("getFilename", title, pattern, default))
        return self.filename_answers.pop(0) if self.filename_answers else None

    # -- nodes -----------------------------------------------------------------------------------
    def add_node(self, cls: str, name: str, knobs: Optional[Dict[str, Any]] = None, *,
                 xpos: int = 0, ypos: int = 0, selected: bool = False,
                 fmt: Optional[FakeFormat] = None) -> FakeNode:
        """Test helper: put a node in the fake script."""
        node = FakeNode(self, cls, name, knobs, xpos, ypos, fmt)
        node._selected = selected
        self.nodes.append(node)
        return node

    def allNodes(self) -> List[FakeNode]:  # noqa: N802
        return list(self.nodes)

    def selectedNodes(self) -> List[FakeNode]:  # noqa: N802
        return [n for n in self.nodes if n.isSelected()]

    def scriptClear(self) -> None:  # noqa: N802
        self.nodes.clear()

    def toNode(self, name: str) -> Optional[FakeNode]:  # noqa: N802
        return next((n for n in self.nodes if n.name() == name), None)

    def createNode(self, cls: str, knobs: str = "", inpanel: bool = True) -> FakeNode:  # noqa: N802
        selected = self.selectedNodes()
        node = self.add_node(cls, f"{cls}{len(self.created) + 1}")
        if selected:
            node.setInput(0, selected[0])
        for other in self.nodes:
            other._selected = other is node
        self.created.append(node)
        return node

    def nodeCopy(self, path: str) -> bool:  # noqa: N802
        """Write the selected nodes to ``path`` as Nuke copies them (clipboard form; each node
        unconnected, its knobs as ``name value`` lines)."""
        self.calls.append(("nodeCopy", [n.name() for n in self.selectedNodes()]))
        lines = ["set cut_paste_input [stack 0]", "version 15.1 v3"]
        for n in self.selectedNodes():
            lines += [f"{n.Class()} {{", " inputs 0"]
            lines += [f" {k} {v.value()}" for k, v in n._knobs.items()]
            lines += [f" name {n.name()}", f" xpos {n.xpos()}", f" ypos {n.ypos()}", "}"]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        return True

    def nodePaste(self, path: str) -> Optional[FakeNode]:  # noqa: N802
        """Record the file's text; add one selected node per top-level node block in it."""
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        self.pasted_texts.append(text)
        self.calls.append(("nodePaste", [n.name() for n in self.selectedNodes()]))
        for other in self.nodes:
            other._selected = False
        from nuke_restore.nukeside.paste import split_commands

        last = None
        clone_classes: Dict[str, str] = {}
        depth = 0
        for word, chunk in split_commands(text):
            if word == "set" and last is not None:
                clone_classes[chunk.split()[1]] = last.Class()
            if word == "end_group":
                depth -= 1
            if not _NODE_WORD.match(chunk) or word in ("set", "push", "version", "end_group"):
                continue
            if word == "clone":
                word = clone_classes.get(chunk.split()[1].lstrip("$"), "clone")
            if depth > 0:  # inside a group: not a top-level node
                if word in ("Group", "Gizmo", "LiveGroup"):
                    depth += 1
                continue
            if word in ("Group", "Gizmo", "LiveGroup"):
                depth += 1
            name = _NAME.search(chunk)
            x, y = _XPOS.search(chunk), _YPOS.search(chunk)
            last = self.add_node(word, name.group(1) if name else f"{word}_pasted",
                                 xpos=int(x.group(1)) if x else 0,
                                 ypos=int(y.group(1)) if y else 0, selected=True)
        return last
