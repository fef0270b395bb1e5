# nuke_restore: Nuke GUI start-up (menu.py). Never raises.
