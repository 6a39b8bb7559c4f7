"""The matching library: plain records in, ranked and explained candidates out.

It imports nothing from the web application or the database layer.
"""
