"""The two small dialogs of the template commands (Qt through ``qt.py`` only).

``RoleDialog``: one row per selected node (name, class, a role menu offering only the roles its
class may carry, "(none)" first), the script kind the template fills and the procedure type whose
stages it uses. Two nodes given one role are shown at once and block Save.
``TemplateChooser``: the .nk templates on the search path, with their kind and procedure.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from .qt import QtCore, QtWidgets, application, exec_dialog
from .settings import PROCEDURES
from .templates import KINDS, RoleAnswer, RoleRow, TemplateEntry

NONE = "(none)"


class RoleDialog(QtWidgets.QDialog):
    """Assign roles to the selected nodes."""

    def __init__(self, rows: List[RoleRow], kind: str, procedure: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore - save selection as template")
        self.rows = rows
        layout = QtWidgets.QVBoxLayout(self)
        note = QtWidgets.QLabel("Give a role to the nodes `build` fills per shot. Nodes without a "
                                "role are kept exactly as you drew them.")
        note.setWordWrap(True)
        layout.addWidget(note)
        form = QtWidgets.QFormLayout()
        self.kind = QtWidgets.QComboBox()
        for k in KINDS:
            self.kind.addItem(k, k)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.procedure = QtWidgets.QComboBox()
        for p in PROCEDURES:
            self.procedure.addItem(p, p)
        self.procedure.setCurrentIndex(max(0, self.procedure.findData(procedure)))
        form.addRow("Fills the &script", self.kind)
        form.addRow("&Procedure (stages)", self.procedure)
        layout.addLayout(form)
        self.table = QtWidgets.QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Node", "Class", "Role"])
        self.table.verticalHeader().setVisible(False)
        self.boxes: List[Any] = []
        for i, row in enumerate(rows):
            for col, text in ((0, row.name), (1, row.cls)):
                item = QtWidgets.QTableWidgetItem(text)
                item.setFlags(item.flags() & ~QtCore.Qt.ItemIsEditable)
                self.table.setItem(i, col, item)
            box = QtWidgets.QComboBox()
            box.addItem(NONE, "")
            for role in row.choices:
                box.addItem(role, role)
            box.setCurrentIndex(max(0, box.findData(row.role)))
            box.setEnabled(bool(row.choices))
            box.currentIndexChanged.connect(self._check)
            self.table.setCellWidget(i, 2, box)
            self.boxes.append(box)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        self.error = QtWidgets.QLabel("")
        self.error.setObjectName("error_roles")
        self.error.setStyleSheet("color: #e07070;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Save |
                                             QtWidgets.QDialogButtonBox.Cancel)
        self.save = buttons.button(QtWidgets.QDialogButtonBox.Save)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._check()

    def roles(self) -> Dict[str, str]:
        return {row.name: box.currentData() or "" for row, box in zip(self.rows, self.boxes)}

    def _check(self, *args: Any) -> None:
        seen: Dict[str, str] = {}
        clash = ""
        for name, role in self.roles().items():
            if not role:
                continue
            if role in seen:
                clash = f"{seen[role]} and {name} both have the role {role}: one node per role"
                break
            seen[role] = name
        if not clash and not seen:
            clash = "no node has a role yet"
        self.error.setText(clash)
        self.error.setVisible(bool(clash))
        self.save.setEnabled(not clash)

    def answer(self) -> RoleAnswer:
        return RoleAnswer(self.kind.currentData(), self.procedure.currentData(), self.roles())


def run_role_dialog(rows: List[RoleRow], kind: str, procedure: str) -> Optional[RoleAnswer]:
    application()
    dialog = RoleDialog(rows, kind, procedure)
    if exec_dialog(dialog) != QtWidgets.QDialog.Accepted:
        return None
    return dialog.answer()


class TemplateChooser(QtWidgets.QDialog):
    """Pick one of the studio templates found on the search path."""

    def __init__(self, entries: List[TemplateEntry], parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore - build from studio template")
        self.entries = entries
        layout = QtWidgets.QVBoxLayout(self)
        self.list = QtWidgets.QListWidget()
        for e in entries:
            item = QtWidgets.QListWidgetItem(f"{e.name}   {e.kind}, {e.procedure}   ({e.path})")
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        layout.addWidget(self.list)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok |
                                             QtWidgets.QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda *_: self.accept())
        layout.addWidget(buttons)

    def choice(self) -> Optional[TemplateEntry]:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None


def run_template_chooser(entries: List[TemplateEntry]) -> Optional[TemplateEntry]:
    application()
    chooser = TemplateChooser(entries)
    if exec_dialog(chooser) != QtWidgets.QDialog.Accepted:
        return None
    return chooser.choice()
