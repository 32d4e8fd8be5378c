"""Provider routing (Rensei §2.5): select, feedback and the public metrics view."""
