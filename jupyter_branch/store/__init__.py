"""The store: schema, migrations, blob encoding, the single writer and the readers.

All SQL of jupyter-branch lives in this package.
"""
