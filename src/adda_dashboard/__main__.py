from adda_dashboard.cli import app

app()
