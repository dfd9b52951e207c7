import gc

from practice.app import create_app

app = create_app()
# What exists now (modules, the app) lives as long as the process: keep it out of the garbage collector's
# full sweeps, which otherwise cost a busy agenda page tens of milliseconds (bench/week_view.py).
gc.freeze()
