"""Load a Python harness module for the harness-code rules (CP5xx): read, parse, position.

The loader layer does the I/O and the parsing, as ``stack.py`` does for compose files; the
rules only read the parsed tree. libcst is imported here, on first use, so that a lint of
compose files alone never pays for it.

A ``PythonModule`` offers what the engine reads of a ``Stack`` (name, recipe, file set,
texts for suppression comments, problems, services), with ``input = "python"`` so that
only the rules written for Python run on it.
"""

from __future__ import annotations

from compose_policy.model import Position
from compose_policy.record import Record
from compose_policy.yamlload import Problem

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Dict, List, Optional, Tuple

# a harness module is a few hundred lines; anything far larger is no harness, and a hostile
# repository must not make the linter parse megabytes of generated code (libcst and the
# rules' walks take seconds for 100 kB of dense harness code)
MAX_BYTES = 128_000
MAX_BRACKETS = 50
MAX_INDENT = 40
MAX_STATEMENT_TOKENS = 1500
PYTHON = "python"


class PythonModule(Record):
    _fields = ("target", "name", "path", "text", "problems", "tree", "positions")
    _hidden = ("text", "tree", "positions")
    input = PYTHON

    def __init__(self, target, path: str, text: str, problems: List[Problem], tree: Any = None,
                 positions: Optional[Dict[Any, Any]] = None):
        self.target = target
        self.name = path
        self.path = path
        self.text = text
        self.problems = problems
        self.tree = tree  # libcst.Module, or None when it could not be parsed
        self.positions = {} if positions is None else positions  # node -> libcst CodeRange

    # what the engine reads of a Stack
    recipe = None
    services: Dict[str, Any] = {}
    is_coopcloud = False

    @property
    def file_set(self) -> List[str]:
        return [self.path]

    @property
    def texts(self) -> Dict[str, str]:
        return {self.path: self.text}

    @property
    def documents(self) -> Dict[str, None]:
        return {self.path: None}

    @property
    def valid(self) -> bool:
        return self.tree is not None

    def position(self, node) -> Position:
        """Where a node starts: 1-based line and column, as for YAML findings."""
        start = self.positions[node].start
        return Position(self.path, start.line, start.column + 1)


def read_source(path: str) -> str:
    with open(path, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // 1000} kB: not read as a harness module")
    return data.decode("utf-8")


def too_complex(text: str):
    """(why, line) when the text nests deeper or runs longer than a harness ever does, else None.

    libcst's parser and visitors recurse: very deep brackets crash its native parser, and
    long operator chains or deep blocks exhaust Python's recursion slowly. CPython itself
    refuses more than 200 nested brackets and 100 indentation levels; a harness statement
    is a few dozen tokens. The tokenizer measures both without recursion.
    """
    import io
    import tokenize

    depth = indent = tokens = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, string, line = token.type, token.string, token.start[0]
            tokens += 1
            if kind == tokenize.OP and string in "([{":
                depth += 1
                if depth > MAX_BRACKETS:
                    return f"brackets nested deeper than {MAX_BRACKETS}", line
            elif kind == tokenize.OP and string in ")]}":
                depth -= 1
            elif kind == tokenize.INDENT:
                indent += 1
                if indent > MAX_INDENT:
                    return f"blocks nested deeper than {MAX_INDENT}", line
            elif kind == tokenize.DEDENT:
                indent -= 1
            elif kind in (tokenize.NEWLINE, tokenize.ENDMARKER):
                tokens = 0
            if tokens > MAX_STATEMENT_TOKENS:
                return f"a statement longer than {MAX_STATEMENT_TOKENS} tokens", line
    except (tokenize.TokenError, SyntaxError):
        return None  # the parser says what is wrong, with its position
    return None


def python_syntax_error(text: str, path: str) -> Optional[Tuple[int, int, str]]:
    """Line, column and reason of Python's own syntax error: libcst's native parser reports
    the token after the mistake (often the next line) in a message with a position of its own."""
    import ast

    try:
        compile(text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as err:
        return max(err.lineno or 1, 1), max(err.offset or 1, 1), err.msg
    except (ValueError, RecursionError, MemoryError):  # a NUL byte, or too deep: libcst's word
        return None
    return None  # Python accepts what libcst cannot parse: libcst's word


def parse_module(target, path: str, text: str) -> PythonModule:
    """Parse ``text``; a syntax error is a problem (CP500) at its line, never an exception."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    refused = too_complex(text)
    if refused is not None:
        why, line = refused
        return PythonModule(target, path, text, [Problem(PYTHON, f"not read as a harness module: {why}",
                                                          Position(path, line, 1))])

    try:
        wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
    except cst.ParserSyntaxError as exc:
        line, column, reason = python_syntax_error(text, path) or (
            max(exc.raw_line, 1), max(exc.raw_column, 0) + 1, exc.message)
        return PythonModule(target, path, text, [Problem(PYTHON, f"not valid Python: {reason}",
                                                          Position(path, line, column))])
    except (RecursionError, MemoryError, ValueError) as exc:
        name = type(exc).__name__
        return PythonModule(target, path, text, [Problem(PYTHON, f"cannot parse this module ({name})",
                                                          Position(path, 1, 1))])
    return PythonModule(target, path, text, [], wrapper.module, dict(positions))


def load_module(target, text: Optional[str] = None) -> PythonModule:
    """The module of a ``python`` target; ``text`` when it was read already (stdin)."""
    path = target.file
    if text is None:
        try:
            text = read_source(path)
        except UnicodeDecodeError:
            return PythonModule(target, path, "", [Problem(PYTHON, "not UTF-8 text", Position(path, 1, 1))])
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            return PythonModule(target, path, "", [Problem(PYTHON, f"cannot read the file: {reason}",
                                                            Position(path, 1, 1))])
    return parse_module(target, path, text)
