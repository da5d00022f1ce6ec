"""The command line: ``pysoftmax COMMAND ...``, also ``python -m pysoftmax COMMAND ...``.

``softmax``, ``log_softmax`` and ``logsumexp`` compute on numbers given as arguments, on a CSV
file (a row per line), a ``.npy`` file or standard input (``-``), and write CSV (every value
in its shortest text that reads back to the same number) or ``.npy``; ``backends`` lists the
backends; ``conformance`` and ``bench`` run the repository's conformance report and benchmark
(``conformance/report.py``, ``benchmarks/bench.py``), which are not part of the installed
package, so they need a source checkout. ``docs/cli.md`` shows every command.

Each command is one :class:`Command` in :data:`COMMANDS`: a name, a line of help, a function
that adds its arguments to its parser and one that runs it. Adding a command is writing those
two functions and one line in :data:`COMMANDS`; a command that reads an array and writes one
reuses :func:`add_input_arguments`, :func:`read_input`, :func:`add_output_argument` and
:func:`write_output`.

Every bad argument is one line on standard error and exit status 2 (``argparse``'s own
errors, and :class:`CommandError` raised by a command), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import io
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn, TextIO

import numpy as np

import pysoftmax

PROG = "pysoftmax"
USAGE_ERROR = 2  # the exit status of a bad argument (argparse's own)
INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
NPY_MAGIC = b"\x93NUMPY"  # what every .npy file starts with: the format is told by content
INPUT_HELP = (
    "the numbers (one row), or one file: CSV (a row per line, values separated by commas or "
    "by spaces) or .npy; - reads standard input"
)
# Which argument of the command line an error message of the Python functions is about: their
# messages start with the name of the argument they refuse.
_CLI_NAMES = {"x": "X", "axis": "--axis", "temperature": "--temperature"}
# argparse reads "-1" and "-2.5" as numbers but "-1e5", "-inf", "-nan" and "-0x1p3" as unknown
# options; no option of ours starts like a number, so every such token is a positional.
_NEGATIVE_NUMBER = re.compile(r"^-(\.?\d|inf|nan)", re.IGNORECASE)


class CommandError(Exception):
    """A bad argument, or something a command needs and does not find: one line, status 2.

    The message names the argument (``argument --axis: ...``) where there is one.
    """


class _UsageError(Exception):
    """An error that argparse found, with the prog of the parser that found it."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """argparse with negative numbers as positionals, and errors raised instead of exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        # A private attribute, used the same way since Python 2.7; were it ever renamed, "-1e5"
        # would need a "--" before it, as in plain argparse (tests/test_cli.py would say so).
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message: str) -> NoReturn:
        """Raise the error for :func:`main` to print as one line (argparse prints usage too)."""
        raise _UsageError(self.prog, message)


@dataclass(frozen=True)
class Command:
    """One command, ``pysoftmax NAME ...``.

    Attributes
    ----------
    name : str
        What follows ``pysoftmax`` on the command line.
    help : str
        One line for ``pysoftmax --help`` (and the description of ``pysoftmax NAME --help``).
    add_arguments : callable
        Adds the command's arguments to its ``argparse`` parser.
    run : callable
        Runs the command on the parsed arguments and returns the exit status; raises
        :class:`CommandError` for a bad argument.
    epilog : str
        Examples, shown after the options by ``pysoftmax NAME --help``.

    Examples
    --------
    >>> [command.name for command in COMMANDS][:3]
    ['softmax', 'log_softmax', 'logsumexp']
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    epilog: str = ""


# --- argument types: each refuses a bad value with a message that says what was wrong --------


def parse_number(text: str) -> float | None:
    """Return the number ``text`` writes, or None if it is not one.

    Decimal (``2.5``, ``-1e5``, ``inf``, ``nan``, as Python's ``float``) and C99 hexadecimal
    (``0x1.8p+1``, exact) are numbers.

    Examples
    --------
    >>> parse_number("-1e5"), parse_number("0x1.8p+1"), parse_number("-inf"), parse_number("two")
    (-100000.0, 3.0, -inf, None)
    """
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    if "0x" not in text.lower():  # float.fromhex would read "abc" as 2748
        return None
    try:
        return float.fromhex(text)
    except OverflowError:  # beyond float64, as float("1e999") is
        return -math.inf if text.startswith("-") else math.inf
    except ValueError:
        return None


def _number(text: str) -> float:
    value = parse_number(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    return value


def _positive_integer(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not at least 1")
    return value


def _axis(text: str) -> int | tuple[int, ...] | None:
    if text.strip().lower() == "none":
        return None
    try:
        axes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an axis: an integer, integers separated by commas, or none"
        ) from None
    return axes[0] if len(axes) == 1 else axes


def _writable_file(*suffixes: str) -> Callable[[str], Path]:
    """Return an argument type: a path ending in one of ``suffixes``, in a directory that is."""

    def check(text: str) -> Path:
        path = Path(text)
        if path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"{text!r} must end in {' or '.join(suffixes)}")
        if not path.parent.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r}: there is no directory {path.parent}")
        return path

    return check


# --- input and output of arrays (any command that reads or writes one) -----------------------


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``X`` (numbers, a CSV or .npy file, or - for stdin), ``--axis`` and ``--dtype``."""
    parser.add_argument("x", nargs="+", metavar="X", help=INPUT_HELP)
    parser.add_argument(
        "--axis",
        type=_axis,
        default=-1,
        help="the axis to reduce: an integer, integers separated by commas (reduced together) "
        "or none (all); default -1: each row",
    )
    parser.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        help="compute in this dtype; default float64 for numbers and CSV, a .npy file's own",
    )


def read_input(arguments: argparse.Namespace) -> np.ndarray:
    """Return the array that ``X`` and ``--dtype`` describe (see :func:`add_input_arguments`).

    Numbers are one row; one argument that is not a number is a file (``-``: standard input),
    a ``.npy`` file if it starts as one does, else CSV text: a row per line, values separated
    by commas (or, on a line without commas, by spaces), empty lines and lines starting with
    ``#`` left out. Text is read as float64 and rounded to ``--dtype``; a ``.npy`` array keeps
    its dtype unless ``--dtype`` is given.

    Examples
    --------
    >>> read_input(argparse.Namespace(x=["1", "-2.5", "0x1p-3"], dtype="float32"))
    array([ 1.   , -2.5  ,  0.125], dtype=float32)
    """
    values: list[str] = arguments.x
    numbers = [parse_number(value) for value in values]
    if all(number is not None for number in numbers):
        x = np.asarray(numbers, dtype=np.float64)
    elif len(values) == 1:
        x = _read_file(values[0])
    else:
        bad = next(value for value, number in zip(values, numbers, strict=True) if number is None)
        raise CommandError(f"argument X: {bad!r} is not a number (X: numbers, or one file)")
    if arguments.dtype is None or x.dtype.kind not in "fiu":  # others: the function says why
        return x
    with np.errstate(over="ignore"):  # 1e39 in float32 is inf, as IEEE rounding says
        return x.astype(arguments.dtype)


def _read_file(name: str) -> np.ndarray:
    label = "standard input" if name == "-" else repr(name)
    try:
        if name == "-":
            stdin = sys.stdin
            data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode()
        else:
            data = Path(name).read_bytes()
    except FileNotFoundError:
        raise CommandError(f"argument X: {name!r} is not a number, nor a file") from None
    except OSError as error:
        raise CommandError(f"argument X: cannot read {label}: {error.strerror}") from None
    if data.startswith(NPY_MAGIC):
        try:
            array: np.ndarray = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, EOFError) as error:
            message = f"argument X: {label} is not a readable .npy file: {error}"
            raise CommandError(message) from None
        return array
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError(f"argument X: {label} is neither a .npy file nor text") from None
    return _parse_csv(text, label)


def _parse_csv(text: str, label: str) -> np.ndarray:
    rows: list[list[float]] = []
    first_line = 0
    for line_number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(",") if "," in line else line.split()
        row = []
        for column, field in enumerate(fields, 1):
            value = parse_number(field)
            if value is None:
                raise CommandError(
                    f"argument X: {label}, line {line_number}, value {column}: "
                    f"{field.strip()!r} is not a number"
                )
            row.append(value)
        if rows and len(row) != len(rows[0]):
            raise CommandError(
                f"argument X: {label}, line {line_number} has {len(row)} values where line "
                f"{first_line} has {len(rows[0])}"
            )
        first_line = first_line or line_number
        rows.append(row)
    if not rows:
        raise CommandError(f"argument X: {label} holds no numbers")
    return np.asarray(rows[0] if len(rows) == 1 else rows, dtype=np.float64)


def add_output_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--output FILE`` (.npy or .csv; CSV on standard output without it)."""
    parser.add_argument(
        "--output",
        "-o",
        type=_writable_file(".npy", ".csv"),
        metavar="FILE",
        help="write the result to FILE, .npy (any shape, the exact bits) or .csv; "
        "default: CSV on standard output",
    )


def csv_lines(array: np.ndarray) -> Iterator[str]:
    r"""Return the lines of ``array`` as CSV: a row a line, each value its shortest exact text.

    A 0-d or 1-d array is one line; more than 2 dimensions have no CSV form (an error at
    once, before any line). Each value is the shortest text that reads back to the same
    number of its dtype (numpy's ``str``; ``repr`` for float64).

    Examples
    --------
    >>> lines = csv_lines(np.array([[0.1, -0.0], [np.inf, np.nan]]))
    >>> print("".join(lines), end="")
    0.1,-0.0
    inf,nan
    >>> list(csv_lines(np.float32(1) / np.float32(3)))
    ['0.33333334\n']
    """
    array = np.asarray(array)
    if array.ndim > 2:
        raise CommandError(
            f"argument --output: a {array.ndim}-d result has no CSV form; "
            "write it with --output FILE.npy"
        )
    return (",".join(str(value) for value in row) + "\n" for row in np.atleast_2d(array))


def write_output(arguments: argparse.Namespace, result: Any) -> None:
    """Write ``result`` where ``--output`` says: a .npy or .csv file, else CSV on stdout.

    Line by line: a reader that stops early (``| head``) is noticed at once.
    """
    result = np.asarray(result)
    path: Path | None = arguments.output
    if path is None:
        sys.stdout.writelines(csv_lines(result))
        return
    try:
        if path.suffix.lower() == ".npy":
            np.save(path, result)
        else:
            lines = csv_lines(result)
            with path.open("w") as file:
                file.writelines(lines)
    except OSError as error:
        raise CommandError(f"argument --output: cannot write {str(path)!r}: {error}") from None


# The Python functions' advice, in the command line's words.
_CLI_ADVICE = (
    ("pass temperature=", "pass --temperature "),
    ("or x in float64", "or --dtype float64"),
)


def _in_cli_words(error: Exception) -> str:
    """Return a message of the Python functions, prefixed with the argument it names."""
    message = str(error)
    for python_words, cli_words in _CLI_ADVICE:
        message = message.replace(python_words, cli_words)
    name = _CLI_NAMES.get(message.split(" ", 1)[0])
    return f"argument {name}: {message}" if name else message


# --- softmax, log_softmax, logsumexp ---------------------------------------------------------


def _add_temperature(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--temperature",
        type=_number,
        default=1.0,
        metavar="T",
        help="the temperature T, which divides x: a number >= 0, with 0 (the argmax limit) and "
        "inf (uniform) allowed; default 1",
    )


def _add_softmax_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    _add_temperature(parser)
    add_output_argument(parser)


def _add_logsumexp_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument(
        "--keepdims", action="store_true", help="keep the reduced axes, as length 1"
    )
    add_output_argument(parser)


def _compute(function: Callable[..., Any], arguments: argparse.Namespace, **options: Any) -> int:
    x = read_input(arguments)
    try:
        result = function(x, arguments.axis, **options)
    except (TypeError, ValueError) as error:  # the functions' refusals name the argument
        raise CommandError(_in_cli_words(error)) from None
    write_output(arguments, result)
    return 0


def _run_softmax(arguments: argparse.Namespace) -> int:
    return _compute(pysoftmax.softmax, arguments, temperature=arguments.temperature)


def _run_log_softmax(arguments: argparse.Namespace) -> int:
    return _compute(pysoftmax.log_softmax, arguments, temperature=arguments.temperature)


def _run_logsumexp(arguments: argparse.Namespace) -> int:
    return _compute(pysoftmax.logsumexp, arguments, keepdims=arguments.keepdims)


# --- backends --------------------------------------------------------------------------------


def text_table(rows: Sequence[Sequence[str]]) -> str:
    """Return rows as plain-text columns, the first row a header underlined with dashes.

    Examples
    --------
    >>> print(text_table([["name", "ok"], ["c", "yes"]]))
    name  ok
    ----  ---
    c     yes
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = ["-" * width for width in widths]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [rows[0], rule, *rows[1:]]
    ]
    return "\n".join(lines)


def _add_no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def _run_backends(arguments: argparse.Namespace) -> int:
    rows = [["backend", "available", "reason", "takes"]]
    for info in pysoftmax.backends():
        rows.append([info.name, "yes" if info.available else "no", info.reason, info.description])
    print(text_table(rows))
    return 0


# --- conformance and bench: from the source repository ---------------------------------------


def source_checkout(needed: str) -> Path:
    """Return the source repository that holds the imported pysoftmax, if ``needed`` is there.

    ``needed`` is a file of the repository that the installed package does not include
    (``conformance/report.py``, ``benchmarks/bench.py``): an editable install
    (``pip install -e .``) or ``PYTHONPATH`` pointing at a checkout finds it, a wheel does not.
    """
    root = Path(pysoftmax.__file__).resolve().parent.parent
    if not (root / needed).is_file():
        raise CommandError(
            f"{needed} is part of pysoftmax's source repository, not of the installed package: "
            f"run this from a checkout installed with 'python -m pip install -e .' "
            f"(pysoftmax was imported from {root / 'pysoftmax'})"
        )
    return root


def _missing_dependency(error: ModuleNotFoundError, extra: str) -> CommandError:
    return CommandError(
        f"this needs {error.name}, which is not installed: python -m pip install -e '.[{extra}]'"
    )


def import_conformance(module: str = "conformance.report") -> ModuleType:
    """Import a module of the repository's ``conformance`` package (see :func:`source_checkout`)."""
    root = source_checkout("conformance/report.py")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        imported = importlib.import_module(module)
    except ModuleNotFoundError as error:
        raise _missing_dependency(error, "test") from None
    if not Path(str(imported.__file__)).resolve().is_relative_to(root / "conformance"):
        raise CommandError(f"{module} was imported from {imported.__file__}, not from {root}")
    return imported


_BENCH_MODULE = "pysoftmax_benchmarks_bench"  # benchmarks/ is no package: bench.py, by path


def load_bench() -> ModuleType:
    """Return the repository's ``benchmarks/bench.py`` as a module (loaded once)."""
    if _BENCH_MODULE in sys.modules:
        return sys.modules[_BENCH_MODULE]
    path = source_checkout("benchmarks/bench.py") / "benchmarks" / "bench.py"
    spec = importlib.util.spec_from_file_location(_BENCH_MODULE, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_BENCH_MODULE] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as error:
        del sys.modules[_BENCH_MODULE]
        raise _missing_dependency(error, "bench") from None
    return module


def _add_conformance_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        action="append",
        default=[],
        metavar="B",
        help="report on this backend only (repeatable): a backend (c, torch, jax, dask, "
        "array_api, ...) or one tested setup of it (array_api-strict, dask-chunked, ...)",
    )
    parser.add_argument(
        "--no-references",
        action="store_true",
        help="leave out the implementations that are not ours (numpy textbook, scipy, torch, jax)",
    )


def _run_conformance(arguments: argparse.Namespace) -> int:
    report = import_conformance("conformance.report")
    tested = import_conformance("conformance.backends").TESTED_BACKENDS
    known = sorted({entry.backend for entry in tested} | {entry.id for entry in tested})
    for name in arguments.backend:
        if name not in known:
            raise CommandError(f"argument --backend: {name!r} is not one of {', '.join(known)}")
    argv = [f"--backend={name}" for name in arguments.backend]
    argv += ["--no-references"] if arguments.no_references else []
    return int(report.main(argv))


class ProgressBar:
    r"""A progress bar of plain text on a stream (standard error), without dependencies.

    On a terminal it redraws one line (``\r``); on anything else (a pipe, a log file) it writes
    one line per step, so that a log holds nothing but whole lines.

    Examples
    --------
    >>> bar = ProgressBar(sys.stdout, "bench", width=10)
    >>> bar.update(3, 4, "float64 (10,) axis -1")  # doctest: +ELLIPSIS
    bench [#######...] 3/4 ... s  float64 (10,) axis -1
    """

    def __init__(self, stream: TextIO, label: str, width: int = 30) -> None:
        self.stream = stream
        self.label = label
        self.width = width
        self.started = time.monotonic()
        self.terminal = bool(getattr(stream, "isatty", lambda: False)())
        self.drawn = 0  # the length of the line on the terminal

    def update(self, done: int, total: int, what: str) -> None:
        """Show ``done`` of ``total`` steps, and what is being done."""
        filled = self.width * min(done, total) // max(total, 1)
        elapsed = time.monotonic() - self.started
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} "
            f"{elapsed:.0f} s  {what}"
        )
        if self.terminal:
            self.stream.write("\r" + line.ljust(self.drawn))
            self.drawn = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the terminal's line, if the bar drew one."""
        if self.terminal and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = 0


def _add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 rounds and a small sweep: a smoke test (about 20 s on 2 cores; the full run "
        "takes minutes)",
    )
    parser.add_argument(
        "--rounds", type=_positive_integer, metavar="N", help="interleaved rounds per case"
    )
    parser.add_argument(
        "--threads",
        type=_positive_integer,
        metavar="N",
        help="threads of pysoftmax's multi-threaded contender (default: every core)",
    )
    parser.add_argument(
        "--plot",
        type=_writable_file(".png"),
        metavar="FILE",
        help="write a PNG of throughput against row length (needs matplotlib)",
    )
    parser.add_argument(
        "--json", type=_writable_file(".json"), metavar="FILE", help="write every sample as JSON"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 if a speed bar (not a goal) fails"
    )


def _run_bench(arguments: argparse.Namespace) -> int:
    bench = load_bench()
    if arguments.plot is not None and importlib.util.find_spec("matplotlib") is None:
        raise CommandError(
            "argument --plot: needs matplotlib, which is not installed: "
            "python -m pip install matplotlib"
        )
    argv = ["--quick"] if arguments.quick else []
    argv += ["--check"] if arguments.check else []
    for option in ("rounds", "threads", "plot", "json"):
        if getattr(arguments, option) is not None:
            argv.append(f"--{option}={getattr(arguments, option)}")
    # The report is printed when the bar is done: a terminal shows both on the same screen.
    report = io.StringIO()
    bar = ProgressBar(sys.stderr, "bench")
    try:
        with contextlib.redirect_stdout(report):
            status = bench.main(argv, progress=bar.update)
    finally:
        bar.close()
        sys.stdout.write(report.getvalue())
    return int(status)


# --- the commands, and main ------------------------------------------------------------------

_SOFTMAX_EXAMPLES = """examples:
  pysoftmax {name} 10 2 10000 4 --temperature 0.5
  pysoftmax {name} logits.csv --dtype float32 --output probabilities.npy
  cat logits.npy | pysoftmax {name} - --axis 0
"""

COMMANDS: tuple[Command, ...] = (
    Command(
        "softmax",
        "softmax(x / T) along an axis",
        _add_softmax_arguments,
        _run_softmax,
        _SOFTMAX_EXAMPLES.format(name="softmax"),
    ),
    Command(
        "log_softmax",
        "log(softmax(x / T)) along an axis, computed without taking a log of softmax",
        _add_softmax_arguments,
        _run_log_softmax,
        _SOFTMAX_EXAMPLES.format(name="log_softmax"),
    ),
    Command(
        "logsumexp",
        "log(sum(exp(x))) along an axis",
        _add_logsumexp_arguments,
        _run_logsumexp,
        "examples:\n  pysoftmax logsumexp 1000 1000\n  pysoftmax logsumexp rows.csv --keepdims\n",
    ),
    Command(
        "backends",
        "the backends, whether each is available here, and why (not)",
        _add_no_arguments,
        _run_backends,
    ),
    Command(
        "conformance",
        "the conformance suite's worst-ULP report on the golden vectors (a source checkout)",
        _add_conformance_arguments,
        _run_conformance,
        "exit status 1 if one of our backends misses the 2-ULP bound\n\nexamples:\n"
        "  pysoftmax conformance --backend c --no-references\n",
    ),
    Command(
        "bench",
        "the benchmark against numpy, scipy, torch and JAX (a source checkout)",
        _add_bench_arguments,
        _run_bench,
        "a progress bar on standard error, the report (Markdown) on standard output\n\n"
        "examples:\n  pysoftmax bench --quick --plot throughput.png\n",
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the whole command line: one subparser per :data:`COMMANDS` entry."""
    parser = _Parser(
        prog=PROG,
        description="Accurate softmax, log-softmax and logsumexp (within 2 ULP), "
        "from the command line.",
        epilog=f"'{PROG} COMMAND --help' describes each command.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {pysoftmax.__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", required=True
    )
    for command in COMMANDS:
        subparser = commands.add_parser(
            command.name, help=command.help, description=command.help, epilog=command.epilog
        )
        command.add_arguments(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status (never raise ``SystemExit``).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``pysoftmax``; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 for a bad argument (one line on standard error), 1 where a command
        says so (``conformance``: a backend misses the bound; ``bench --check``: a bar fails).

    Examples
    --------
    >>> main(["softmax", "10", "2", "10000", "4"])
    0.0,0.0,1.0,0.0
    0
    >>> main(["logsumexp", "1000", "1000"])
    1000.6931471805599
    0
    """
    parser = build_parser()
    prog = PROG
    try:
        try:
            arguments, unknown = parser.parse_known_args(argv)
        except SystemExit as done:  # --help, --version
            return done.code if isinstance(done.code, int) else 0
        prog = f"{PROG} {arguments.command}"
        if unknown:  # said by the command's parser, which knows the command's options
            raise _UsageError(prog, f"unrecognized arguments: {' '.join(unknown)}")
        status = int(arguments.run(arguments))
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        return status
    except _UsageError as error:
        print(f"{error.prog}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except CommandError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and let nothing flush into the pipe.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
