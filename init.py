# nuke_restore: Nuke start-up (init.py). Runs in GUI, `nuke -t` and farm sessions. Never raises.
