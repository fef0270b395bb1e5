"""Offscreen checks of the template role dialog and chooser (run in a subprocess by
test_template_commands.py; argv[1] = where to save a screenshot). Exits non-zero on failure."""
from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(shot: str) -> None:
    from nuke_restore.nukeside.qt import application
    from nuke_restore.nukeside.template_dialog import RoleDialog, TemplateChooser
    from nuke_restore.nukeside.templates import RoleRow, TemplateEntry
    from nuke_restore.recipes import template_roles as tr

    app = application()
    rows = [RoleRow(n, c, tr.guess_role(c, n), tr.roles_for_class(c)) for n, c in (
        ("Read_plate", "Read"), ("Read_telecine", "Read"), ("Grade_dust", "Grade"),
        ("CopyCat1", "CopyCat"), ("FrameHold_PREVIEW_1003", "FrameHold"))]
    d = RoleDialog(rows, "training", "chroma")
    assert d.save.isEnabled(), d.error.text()  # CopyCat and preview suggested
    assert d.answer().roles["CopyCat1"] == "copycat"
    assert d.answer().roles["FrameHold_PREVIEW_1003"] == "preview"
    assert not d.boxes[2].isEnabled()  # a Grade has no role to take
    src, ref = d.boxes[0], d.boxes[1]
    src.setCurrentIndex(src.findData("source_read"))
    ref.setCurrentIndex(ref.findData("source_read"))
    assert not d.save.isEnabled() and "both have the role source_read" in d.error.text()
    ref.setCurrentIndex(ref.findData("reference_read"))
    assert d.save.isEnabled()
    ans = d.answer()
    assert (ans.kind, ans.procedure) == ("training", "chroma")
    assert ans.roles == {"Read_plate": "source_read", "Read_telecine": "reference_read",
                         "Grade_dust": "", "CopyCat1": "copycat",
                         "FrameHold_PREVIEW_1003": "preview"}, ans.roles
    d.resize(560, 420)
    d.show()
    app.processEvents()
    assert d.grab().save(shot)
    d.close()
    c = TemplateChooser([TemplateEntry("a.nk", "/s/a.nk", "training", "chroma"),
                         TemplateEntry("b.nk", "/s/b.nk", "inference", "chroma")])
    c.list.setCurrentRow(1)
    assert c.choice().name == "b.nk"
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
