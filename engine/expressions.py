"""The safe expression language of BPMN files.

Expressions appear in sequence-flow conditions, script tasks, assignee rules, form defaults,
``required_if`` rules and title templates. SpiffWorkflow's default script engine runs them with
plain ``eval``/``exec``, and its RestrictedPython recipe can be escaped through
``().__class__.__base__.__subclasses__()``: a deployed file must never run arbitrary Python. This
module is the only evaluator the engine uses.

Design: a whitelist, checked twice. :func:`check` walks the Python AST and accepts only a small set
of node types, functions and methods (deploy time, so a bad file is refused before it runs);
:func:`evaluate` repeats the same check and then runs the expression with simpleeval's
``EvalWithCompoundTypes`` with no builtins, our own size-limited operators, a step budget, and a
length limit on every intermediate string/list/dict, so that ``9**9**9``, ``'a'*10**10`` or a huge
comprehension fail fast with :class:`ExpressionError` instead of eating the worker's memory.

Safe under threads (gunicorn runs several per worker): every limit is a constant read at run time,
every count is kept on the evaluator made for one evaluation, and nothing at module level changes
while expressions run but the cache of checked trees, which only ever holds immutable trees.
"""

from __future__ import annotations

import ast
import functools
import json
import math
import operator as op
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import simpleeval
from django.utils.translation import gettext as _

__all__ = [
    "MAX_COLLECTION",
    "MAX_EXPRESSION_LENGTH",
    "MAX_STEPS",
    "MAX_STRING",
    "SAFE_FUNCTIONS",
    "ExpressionError",
    "check",
    "check_assignments",
    "check_template",
    "evaluate",
    "names_in",
    "render",
    "run_assignments",
]

#: Longest expression text accepted (a condition is a line, not a program).
MAX_EXPRESSION_LENGTH = 2000
#: Longest string, list or dict an operation may produce.
MAX_STRING = 25_000
#: Most items a comprehension may produce (all comprehensions of one evaluation together).
MAX_COLLECTION = 1_000
#: Most AST nodes one evaluation may visit: bounds the time of any expression.
MAX_STEPS = 20_000
#: Largest exponent, and the largest result of ``**`` in bits.
MAX_EXPONENT = 1_000
MAX_POWER_BITS = 4_096

_MISSING = object()


class ExpressionError(Exception):
    """An expression was refused (at deploy) or failed (at run time).

    The message is user-facing (Russian by default, via gettext) and names the expression, so an
    administrator deploying a file or reading a failed instance sees what to fix.
    """

    def __init__(self, message: str, expression: str = "") -> None:
        self.expression = expression
        self.reason = message
        text = f"{message}: {expression}" if expression else message
        super().__init__(text)


def _safe_len(value: Any) -> int | None:
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        return len(value)
    return None


def _mult(a: Any, b: Any) -> Any:
    for seq, times in ((a, b), (b, a)):
        n = _safe_len(seq)
        if n is not None and isinstance(times, int) and n * times > MAX_STRING:
            raise ExpressionError(_("Слишком длинный результат"))
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_POWER_BITS:
        raise ExpressionError(_("Слишком большое число"))
    return a * b


def _add(a: Any, b: Any) -> Any:
    la, lb = _safe_len(a), _safe_len(b)
    if la is not None and lb is not None and la + lb > MAX_STRING:
        raise ExpressionError(_("Слишком длинный результат"))
    return a + b


def _power(a: Any, b: Any) -> Any:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return a**b
    if abs(b) > MAX_EXPONENT:
        raise ExpressionError(_("Слишком большое число"))
    if abs(a) > 1 and b > 0 and b * math.log2(abs(a)) > MAX_POWER_BITS:
        raise ExpressionError(_("Слишком большое число"))
    return a**b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        # '%s' % x formatting can walk nothing, but keep strings out of it: one formatting path.
        raise ExpressionError(_("Форматирование строк через % не поддерживается"))
    return a % b


def _shift_guard(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def shifted(a: Any, b: Any) -> Any:
        if abs(b) > 64:
            raise ExpressionError(_("Слишком большое число"))
        return fn(a, b)

    return shifted


_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: _add,
    ast.Sub: op.sub,
    ast.Mult: _mult,
    ast.Div: op.truediv,
    ast.FloorDiv: op.floordiv,
    ast.Mod: _mod,
    ast.Pow: _power,
    ast.LShift: _shift_guard(op.lshift),
    ast.RShift: _shift_guard(op.rshift),
    ast.BitOr: op.or_,
    ast.BitAnd: op.and_,
    ast.BitXor: op.xor,
    ast.Eq: op.eq,
    ast.NotEq: op.ne,
    ast.Gt: op.gt,
    ast.Lt: op.lt,
    ast.GtE: op.ge,
    ast.LtE: op.le,
    ast.Not: op.not_,
    ast.USub: op.neg,
    ast.UAdd: op.pos,
    ast.Invert: op.invert,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: op.is_,
    ast.IsNot: op.is_not,
}


def _checked_str(value: Any = "") -> str:
    result = str(value)
    if len(result) > MAX_STRING:
        raise ExpressionError(_("Слишком длинный результат"))
    return result


def _checked_int(value: Any = 0, base: int | None = None) -> int:
    if isinstance(value, str) and len(value) > 100:
        raise ExpressionError(_("Слишком большое число"))
    return int(value) if base is None else int(value, base)


#: The functions every expression may call, besides those a caller passes in (assignee functions).
#: Kept small on purpose: each is pure, bounded and cannot reach an object's internals.
SAFE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "str": _checked_str,
    "int": _checked_int,
    "float": float,
    "bool": bool,
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "any": any,
    "all": all,
    "sorted": sorted,
    "list": list,
    "dict": dict,
}

#: Methods that may be called (or read) on values, by value type. None of them mutates its object
#: (a condition must not change process variables) and none is a formatting mini-language
#: (``str.format`` can walk attributes: ``'{0.__class__}'.format(x)``).
_ALLOWED_ATTRS: dict[Any, set[str]] = {
    str: {
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "split",
        "replace",
        "isdigit",
        "isalpha",
        "isalnum",
        "title",
        "capitalize",
        "count",
        "find",
        "join",
        "removeprefix",
        "removesuffix",
        "casefold",
    },
    dict: {"get", "keys", "values", "items"},
    list: {"count", "index"},
    tuple: {"count", "index"},
    int: set(),
    float: {"is_integer"},
    bool: set(),
    None: set(),
}
_ALL_METHOD_NAMES = frozenset().union(*_ALLOWED_ATTRS.values())

_ALLOWED_NODES: tuple[type, ...] = (
    ast.Expression,
    ast.Expr,
    ast.Module,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.LShift,
    ast.RShift,
    ast.BitOr,
    ast.BitAnd,
    ast.BitXor,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Invert,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.GeneratorExp,
    ast.DictComp,
    ast.comprehension,
)


def _parse(expr: str, mode: str = "eval") -> ast.AST:
    if not isinstance(expr, str):
        raise ExpressionError(_("Выражение должно быть строкой"), repr(expr))
    if not expr.strip():
        raise ExpressionError(_("Пустое выражение"))
    if len(expr) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(_("Слишком длинное выражение"), expr[:80] + "…")
    try:
        return ast.parse(expr.strip(), mode=mode)
    except SyntaxError as e:
        raise ExpressionError(_("Синтаксическая ошибка"), expr) from e
    except (RecursionError, MemoryError, ValueError) as e:
        raise ExpressionError(_("Выражение слишком сложное"), expr) from e


def _validate_tree(
    tree: ast.AST,
    expr: str,
    functions: Iterable[str],
    allowed_names: Iterable[str] | None,
) -> None:
    """Refuse anything outside the whitelist: the same rules at deploy and at run time."""
    functions = set(functions)
    names = None if allowed_names is None else set(allowed_names)
    local_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            for target in ast.walk(node.target):
                if isinstance(target, ast.Name):
                    local_names.add(target.id)
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            kind = type(node).__name__
            if isinstance(node, ast.Lambda):
                raise ExpressionError(_("lambda не поддерживается"), expr)
            if isinstance(node, (ast.JoinedStr, ast.FormattedValue)):
                raise ExpressionError(_("f-строки не поддерживаются"), expr)
            raise ExpressionError(_("Недопустимая конструкция: %(kind)s") % {"kind": kind}, expr)
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise ExpressionError(_("Имена, начинающиеся с «_», запрещены"), expr)
            if (
                names is not None
                and isinstance(node.ctx, ast.Load)
                and node.id not in names
                and node.id not in local_names
                and node.id not in functions
                and node.id not in ("True", "False", "None")
            ):
                raise ExpressionError(_("Неизвестная переменная «%(name)s»") % {"name": node.id}, expr)
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_") or node.attr not in _ALL_METHOD_NAMES:
                raise ExpressionError(_("Обращение к атрибуту «%(attr)s» запрещено") % {"attr": node.attr}, expr)
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                if node.func.id not in functions:
                    raise ExpressionError(_("Неизвестная функция «%(name)s»") % {"name": node.func.id}, expr)
            elif not isinstance(node.func, ast.Attribute):
                raise ExpressionError(_("Недопустимый вызов"), expr)
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                raise ExpressionError(_("Распаковка аргументов (*, **) не поддерживается"), expr)
        elif isinstance(node, ast.Dict) and any(k is None for k in node.keys):
            raise ExpressionError(_("Распаковка словаря (**) не поддерживается"), expr)


class _Evaluator(simpleeval.EvalWithCompoundTypes):
    """simpleeval with our whitelist, a step budget and a size check on every intermediate value."""

    def __init__(self, names: Any, functions: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__(operators=dict(_OPERATORS), functions={}, names=names, allowed_attrs=_ALLOWED_ATTRS)
        # EvalWithCompoundTypes adds list/tuple/dict/set: replace with exactly our set.
        self.functions = dict(functions)
        self.ATTR_INDEX_FALLBACK = False
        for node_type in (ast.JoinedStr, ast.FormattedValue):
            self.nodes.pop(node_type, None)
        self.steps = 0
        self._comprehension_items = 0

    def _eval(self, node: ast.AST) -> Any:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ExpressionError(_("Выражение вычисляется слишком долго"))
        result = super()._eval(node)
        n = _safe_len(result)
        if n is not None and n > MAX_STRING and not isinstance(node, (ast.Name, ast.Subscript, ast.Attribute)):
            raise ExpressionError(_("Слишком длинный результат"))
        return result

    # simpleeval counts the items of every comprehension of one evaluation in ``_max_count`` and
    # compares the count with its module's MAX_COMPREHENSION_LENGTH (10,000). Our limit is checked
    # as the count grows, on this instance: nothing shared with an evaluation in another thread
    # (swapping the module's constant for the length of a comprehension let one thread's
    # evaluation restore it under another's feet).
    @property
    def _max_count(self) -> int:
        return self._comprehension_items

    @_max_count.setter
    def _max_count(self, count: int) -> None:
        if count > MAX_COLLECTION:
            raise ExpressionError(_("Слишком длинный результат"))
        self._comprehension_items = count


def _all_functions(functions: Mapping[str, Callable[..., Any]] | None) -> dict[str, Callable[..., Any]]:
    merged = dict(SAFE_FUNCTIONS)
    if functions:
        for name, fn in functions.items():
            if name.startswith("_"):
                raise ExpressionError(_("Имена, начинающиеся с «_», запрещены"), name)
            if fn in simpleeval.DISALLOW_FUNCTIONS:
                raise ExpressionError(_("Функция запрещена"), name)
            merged[name] = fn
    return merged


def _run(tree: ast.AST, expr: str, names: Any, functions: dict[str, Callable[..., Any]]) -> Any:
    # One evaluator per evaluation: its counters (steps, comprehension items) are its own.
    evaluator = _Evaluator(names, functions)
    evaluator.expr = expr
    try:
        return evaluator._eval(tree.body if isinstance(tree, ast.Expression) else tree)
    except ExpressionError as e:
        if not e.expression:
            raise ExpressionError(e.reason, expr) from None
        raise
    except simpleeval.NameNotDefined as e:
        raise ExpressionError(_("Неизвестная переменная «%(name)s»") % {"name": e.name}, expr) from None
    except simpleeval.IterableTooLong:
        raise ExpressionError(_("Слишком длинный результат"), expr) from None
    except simpleeval.FunctionNotDefined as e:
        raise ExpressionError(_("Неизвестная функция «%(name)s»") % {"name": e.func_name}, expr) from None
    except (simpleeval.InvalidExpression, simpleeval.FeatureNotAvailable) as e:
        raise ExpressionError(_("Недопустимое выражение (%(detail)s)") % {"detail": e}, expr) from None
    except RecursionError:
        raise ExpressionError(_("Выражение слишком сложное"), expr) from None
    except Exception as e:  # the expression's own failure: 1/0, None + 1, missing key...
        raise ExpressionError(
            _("Ошибка вычисления (%(error)s: %(detail)s)") % {"error": type(e).__name__, "detail": e}, expr
        ) from None


@functools.lru_cache(maxsize=4096)
def _checked_tree(expr: str, function_names: frozenset[str]) -> ast.AST:
    """Parse and whitelist-check once per (expression, function set): a process evaluates the same
    few expressions at every step. The tree is never mutated by evaluation, so sharing it is safe;
    a refusal is not cached (lru_cache does not cache exceptions)."""
    tree = _parse(expr)
    _validate_tree(tree, expr, function_names, None)
    return tree


class _LenientNames(dict):
    """Names mapping where a missing variable reads as None (forms, titles)."""

    def __missing__(self, key: str) -> None:
        return None


def evaluate(
    expr: str,
    names: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
    *,
    missing_as_none: bool = False,
) -> Any:
    """Evaluate one expression over ``names`` (process variables, form data).

    ``functions`` are added to :data:`SAFE_FUNCTIONS` (for example the assignee functions
    ``role``, ``manager_of``...). An unknown variable is an error (a condition must not silently
    take a branch) unless ``missing_as_none`` is set, as for ``required_if`` rules over a form where
    an empty field is simply absent. Raises :class:`ExpressionError` for everything else that goes
    wrong, including the expression's own errors such as a division by zero.
    """
    all_functions = _all_functions(functions)
    tree = _checked_tree(expr, frozenset(all_functions))
    scope: dict[str, Any] = _LenientNames(names) if missing_as_none else dict(names)
    return _run(tree, expr, scope, all_functions)


def check(
    expr: str,
    allowed_names: Iterable[str] | None = None,
    allowed_functions: Iterable[str] = (),
) -> None:
    """Deploy-time check of one expression; raises :class:`ExpressionError`, returns None if fine.

    Refuses syntax errors, anything but the whitelisted constructs (lambda, imports, f-strings,
    walrus...), names or attributes starting with ``_``, methods outside the whitelist, and calls
    to functions other than :data:`SAFE_FUNCTIONS` and ``allowed_functions``. Unknown variable
    names are accepted (variables appear at run time) unless ``allowed_names`` is given.
    """
    tree = _parse(expr)
    _validate_tree(tree, expr, set(SAFE_FUNCTIONS) | set(allowed_functions), allowed_names)


def names_in(expr: str) -> set[str]:
    """The variable and function names an expression reads (for deploy-time cross-checks)."""
    tree = _parse(expr)
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


# --- templates ---------------------------------------------------------------------------------


def _split_template(template: str) -> list[tuple[bool, str]]:
    """Split ``'a {x} b {{c}}'`` into literal and expression parts.

    ``{{`` and ``}}`` are literal braces. An expression runs to the matching ``}``, skipping braces
    inside quotes and nested ``{}`` (so a dict literal works).
    """
    parts: list[tuple[bool, str]] = []
    buf: list[str] = []
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        if c == "{" and template.startswith("{{", i):
            buf.append("{")
            i += 2
        elif c == "}" and template.startswith("}}", i):
            buf.append("}")
            i += 2
        elif c == "{":
            if buf:
                parts.append((False, "".join(buf)))
                buf = []
            depth, j, quote = 1, i + 1, ""
            while j < n:
                d = template[j]
                if quote:
                    if d == "\\":
                        j += 1
                    elif d == quote:
                        quote = ""
                elif d in "'\"":
                    quote = d
                elif d == "{":
                    depth += 1
                elif d == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                raise ExpressionError(_("Незакрытая фигурная скобка в шаблоне"), template)
            parts.append((True, template[i + 1 : j]))
            i = j + 1
        elif c == "}":
            raise ExpressionError(_("Лишняя «}» в шаблоне (для скобки пишите «}}»)"), template)
        else:
            buf.append(c)
            i += 1
    if buf:
        parts.append((False, "".join(buf)))
    return parts


def check_template(template: str, allowed_functions: Iterable[str] = ()) -> None:
    """Deploy-time check of a title template: braces balanced, every ``{expr}`` passes :func:`check`."""
    for is_expr, text in _split_template(template):
        if is_expr:
            check(text, allowed_functions=allowed_functions)


def render(
    template: str,
    names: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> str:
    """Render a title such as ``Прикрепить ссылку на реестр базовых скидок на {quarter}``.

    Each ``{…}`` is an expression; ``{{``/``}}`` are literal braces. A missing variable (or one
    that is None) renders as an empty string rather than failing: a title must never stop a process.
    Other errors (a refused expression) raise :class:`ExpressionError`; templates are checked at
    deploy, so they do not happen with a deployed file.
    """
    out: list[str] = []
    for is_expr, text in _split_template(template):
        if not is_expr:
            out.append(text)
            continue
        value = evaluate(text, names, functions, missing_as_none=True)
        out.append("" if value is None else str(value))
    return "".join(out)


# --- script tasks: plain assignments -------------------------------------------------------------


def _parse_assignments(script: str) -> list[tuple[str, str, ast.AST]]:
    result: list[tuple[str, str, ast.AST]] = []
    for lineno, raw in enumerate((script or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            module = ast.parse(line, mode="exec")
        except SyntaxError:
            raise ExpressionError(
                _("Строка %(n)s: ожидается присваивание «имя = выражение»") % {"n": lineno}, line
            ) from None
        stmt = module.body[0] if len(module.body) == 1 else None
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            raise ExpressionError(_("Строка %(n)s: ожидается присваивание «имя = выражение»") % {"n": lineno}, line)
        name = stmt.targets[0].id
        if name.startswith("_"):
            raise ExpressionError(_("Имена, начинающиеся с «_», запрещены"), line)
        expr_text = ast.get_source_segment(line, stmt.value) or ""
        result.append((name, expr_text, stmt.value))
    return result


def check_assignments(script: str, allowed_functions: Iterable[str] = ()) -> None:
    """Deploy-time check of a script task: only ``name = expression`` lines, each expression checked."""
    lines = _parse_assignments(script)
    if not lines:
        raise ExpressionError(_("Пустой скрипт"))
    for _name, expr_text, _tree in lines:
        check(expr_text, allowed_functions=allowed_functions)


def run_assignments(
    script: str,
    names: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> dict[str, Any]:
    """Run a script task and return the variables it assigns (the caller merges them).

    Lines run in order and later lines see earlier results. Every value must be JSON-serializable
    (str, number, bool, None, list, dict), because process variables are stored as JSON.
    """
    scope = dict(names)
    assigned: dict[str, Any] = {}
    for name, expr_text, _tree in _parse_assignments(script):
        value = evaluate(expr_text, scope, functions)
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise ExpressionError(_("Значение нельзя сохранить как переменную процесса"), expr_text) from None
        scope[name] = value
        assigned[name] = value
    return assigned
