from nuke_restore.cli import entry

entry()
