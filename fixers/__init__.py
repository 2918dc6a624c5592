"""Turn findings into the smallest change that removes them, and prove the result.

Rules say what is wrong and carry a ``Fix`` (data); this package decides how to write it:
as an overlay merged after the recipe's own files (default), or in place in the file that
decides the value. Every edit is checked line by line before anything is written.
"""
