"""What the Huey consumer runs: `huey_consumer practice.consumer.huey`. The app, made from the environment,
and its queue with the tasks registered on it."""
from .app import create_app

app = create_app()
huey = app.extensions["practice.tasks"].huey
