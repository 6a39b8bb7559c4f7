"""Red Partners Marketplace: the web application."""
