"""HTTP areas of the gateway; each exports its controllers (``ROUTES``) to ``app.py``."""
