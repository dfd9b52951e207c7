from practice import create_app

app = create_app()
