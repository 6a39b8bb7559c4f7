"""Tabular import and export shared by the three lists (offers, needs, projects).

A list describes its file with ``ColumnSpec``s (``columns.py``); ``readers.py`` turns an uploaded CSV
(UTF-8 with or without BOM, or GBK from Excel on Chinese Windows) or .xlsx file into rows of text;
``importer.py`` checks every row and reports problems row by row; ``writers.py`` writes CSV (with a
BOM, so Excel shows Chinese) and .xlsx, neutralising spreadsheet formulas. See docs/import-export.md.
"""
