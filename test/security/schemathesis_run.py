"""Runs the schemathesis CLI (its arguments as given) with one workaround for a CPython 3.11 bug.

CPython 3.11's `ast.parse`, called deep in a call stack, can raise
`SystemError: AST constructor recursion depth mismatch` (fixed in later CPythons). Hypothesis calls `ast.parse`
only to describe a lambda in the repr of a strategy, and takes a `SyntaxError` there as "no description"; the
SystemError instead escaped as a schemathesis "Runtime Error" on random runs (hash randomization and two workers
change the depth). Here that one SystemError becomes a SyntaxError; nothing else changes.
"""

import ast
import sys

_parse = ast.parse


def _parse_or_syntax_error(*args, **kwargs):
    try:
        return _parse(*args, **kwargs)
    except SystemError as error:
        if "recursion depth mismatch" in str(error):
            raise SyntaxError(str(error)) from error
        raise


ast.parse = _parse_or_syntax_error

from schemathesis.cli import schemathesis  # noqa: E402  (after the patch, which must come first)

if __name__ == "__main__":
    sys.argv[0] = "schemathesis"
    sys.exit(schemathesis())
